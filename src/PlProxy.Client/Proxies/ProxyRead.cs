using System.ComponentModel;
using System.Data.Common;

namespace PlProxy.Client.Proxies;

/// <summary>Reads result columns for generated code, with PL/Proxy's messages when a column is missing or NULL.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ProxyRead
{
    /// <summary>A non-nullable value; NULL is an error naming the column.</summary>
    /// <typeparam name="T">The .NET type.</typeparam>
    /// <param name="reader">The reader on the current row.</param>
    /// <param name="ordinal">The column.</param>
    /// <returns>The value.</returns>
    /// <exception cref="PlProxyException">The value is NULL.</exception>
    public static T Required<T>(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal)
            ? throw new PlProxyException($"Column {reader.GetName(ordinal)} is NULL, but the result type {typeof(T).Name} cannot hold NULL; declare it nullable.")
            : reader.GetFieldValue<T>(ordinal);

    /// <summary>A nullable value type: NULL becomes null.</summary>
    /// <typeparam name="T">The .NET value type.</typeparam>
    /// <param name="reader">The reader on the current row.</param>
    /// <param name="ordinal">The column.</param>
    /// <returns>The value or null.</returns>
    public static T? NullableValue<T>(DbDataReader reader, int ordinal)
        where T : struct =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<T>(ordinal);

    /// <summary>A nullable reference: NULL becomes null.</summary>
    /// <typeparam name="T">The .NET reference type.</typeparam>
    /// <param name="reader">The reader on the current row.</param>
    /// <param name="ordinal">The column.</param>
    /// <returns>The value or null.</returns>
    public static T? NullableReference<T>(DbDataReader reader, int ordinal)
        where T : class =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<T>(ordinal);

    /// <summary>
    /// The ordinal of the column that maps to a member: names compare ignoring case and underscores, so
    /// <c>user_name</c> fills <c>UserName</c>.
    /// </summary>
    /// <param name="reader">The reader.</param>
    /// <param name="member">The member name.</param>
    /// <returns>The ordinal.</returns>
    /// <exception cref="PlProxyException">No column maps to the member (PL/Proxy: "Field x does not exists in result").</exception>
    public static int Ordinal(DbDataReader reader, string member)
    {
        for (int i = 0; i < reader.FieldCount; i++)
        {
            if (Language.SqlNames.SameColumn(reader.GetName(i), member))
            {
                return i;
            }
        }

        throw new PlProxyException($"Field {member} does not exists in result");
    }

    /// <summary>True when every column of the row is NULL (a NULL composite).</summary>
    /// <param name="reader">The reader on the current row.</param>
    /// <returns>Whether the row is all NULL.</returns>
    public static bool IsNullRow(DbDataReader reader)
    {
        for (int i = 0; i < reader.FieldCount; i++)
        {
            if (!reader.IsDBNull(i))
            {
                return false;
            }
        }

        return true;
    }
}

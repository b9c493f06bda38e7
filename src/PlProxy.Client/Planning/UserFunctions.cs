using System.Collections;
using PlProxy.Client.Language;

namespace PlProxy.Client.Planning;

/// <summary>Calls the interface's static hash, cluster and connect functions, converting values to the declared .NET types.</summary>
internal sealed class UserFunctions(ApplicationFunction[] functions) : IUserFunctions
{
    public SqlValue Invoke(string name, ReadOnlySpan<SqlValue> arguments)
    {
        ApplicationFunction function = Find(name);
        return SqlValue.FromObject(function.Invoke(ToObjects(function, arguments)));
    }

    public IEnumerable<SqlValue> InvokeSet(string name, SqlValue[] arguments)
    {
        ApplicationFunction function = Find(name);
        var values = (IEnumerable?)function.Invoke(ToObjects(function, arguments));
        if (values is null)
        {
            yield break;
        }

        foreach (object? value in values)
        {
            yield return SqlValue.FromObject(value);
        }
    }

    private ApplicationFunction Find(string name) =>
        Array.Find(functions, f => string.Equals(f.Definition.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new PlProxyException($"Function {name} is not registered.");

    private static object?[] ToObjects(ApplicationFunction function, ReadOnlySpan<SqlValue> arguments)
    {
        var values = new object?[arguments.Length];
        for (int i = 0; i < values.Length; i++)
        {
            SqlValue value = arguments[i];
            PgTypeKind kind = function.Definition.Parameters[i].Kind;
            values[i] = value.Kind switch
            {
                SqlValueKind.Null => null,
                SqlValueKind.Text => value.Text,
                SqlValueKind.Uuid => value.Uuid,
                SqlValueKind.Integer => kind switch
                {
                    PgTypeKind.Int2 => (object)checked((short)value.Integer),
                    PgTypeKind.Int4 => checked((int)value.Integer),
                    _ => value.Integer,
                },
                _ => value.Other,
            };
        }

        return values;
    }
}

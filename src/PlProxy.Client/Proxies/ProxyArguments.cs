using System.ComponentModel;
using System.Text;

namespace PlProxy.Client.Proxies;

/// <summary>Converts arguments for generated code.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ProxyArguments
{
    /// <summary>
    /// The PostgreSQL enum label of <paramref name="value"/>: its name in snake_case (<c>VeryHappy</c> → <c>very_happy</c>),
    /// as Npgsql's default enum mapping names labels. The SQL casts it to the parameter's <c>[PgType]</c>.
    /// </summary>
    /// <typeparam name="TEnum">The enum type.</typeparam>
    /// <param name="value">The value, or null.</param>
    /// <returns>The label, or null.</returns>
    public static string? EnumLabel<TEnum>(TEnum? value)
        where TEnum : struct, Enum =>
        value is { } v ? SnakeCase(v.ToString()) : null;

    /// <summary>The PostgreSQL enum label of <paramref name="value"/> (see <see cref="EnumLabel{TEnum}(TEnum?)"/>).</summary>
    /// <typeparam name="TEnum">The enum type.</typeparam>
    /// <param name="value">The value.</param>
    /// <returns>The label.</returns>
    public static string EnumLabel<TEnum>(TEnum value)
        where TEnum : struct, Enum => SnakeCase(value.ToString());

    private static string SnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c) && i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1])))
            {
                builder.Append('_');
            }

            builder.Append(char.ToLowerInvariant(c));
        }

        return builder.ToString();
    }
}

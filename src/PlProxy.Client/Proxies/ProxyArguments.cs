using System.ComponentModel;
using Npgsql.NameTranslation;

namespace PlProxy.Client.Proxies;

/// <summary>Converts arguments for generated code.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ProxyArguments
{
    /// <summary>
    /// The PostgreSQL enum label of <paramref name="value"/>: its name in snake_case (<c>VeryHappy</c> → <c>very_happy</c>,
    /// <c>HTTPError</c> → <c>http_error</c>), by Npgsql's own default name translator, so a label is the one Npgsql's
    /// enum mapping would send. The SQL casts it to the parameter's <c>[PgType]</c>.
    /// </summary>
    /// <typeparam name="TEnum">The enum type.</typeparam>
    /// <param name="value">The value, or null.</param>
    /// <returns>The label, or null.</returns>
    public static string? EnumLabel<TEnum>(TEnum? value)
        where TEnum : struct, Enum =>
        value is { } v ? NpgsqlSnakeCaseNameTranslator.ConvertToSnakeCase(v.ToString()) : null;

    /// <summary>The PostgreSQL enum label of <paramref name="value"/> (see <see cref="EnumLabel{TEnum}(TEnum?)"/>).</summary>
    /// <typeparam name="TEnum">The enum type.</typeparam>
    /// <param name="value">The value.</param>
    /// <returns>The label.</returns>
    public static string EnumLabel<TEnum>(TEnum value)
        where TEnum : struct, Enum => NpgsqlSnakeCaseNameTranslator.ConvertToSnakeCase(value.ToString());

    /// <summary>
    /// The enum member whose PostgreSQL label is <paramref name="label"/>, for a hash, cluster or connect function
    /// that takes the enum: the proxy method sent the label (see <see cref="EnumLabel{TEnum}(TEnum)"/>), the function
    /// gets the member back. Null stays null.
    /// </summary>
    /// <typeparam name="TEnum">The enum type.</typeparam>
    /// <param name="label">The label, as the argument holds it.</param>
    /// <returns>The member, or null.</returns>
    /// <exception cref="ArgumentException">No member of <typeparamref name="TEnum"/> has that label.</exception>
    public static TEnum? EnumFromLabel<TEnum>(object? label)
        where TEnum : struct, Enum
    {
        switch (label)
        {
            case null:
                return null;
            case TEnum member:
                return member;
        }

        string text = (string)label;
        foreach (TEnum member in Enum.GetValues<TEnum>())
        {
            if (EnumLabel(member) == text)
            {
                return member;
            }
        }

        throw new ArgumentException($"'{text}' is no label of {typeof(TEnum).Name}.", nameof(label));
    }
}

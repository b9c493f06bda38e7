namespace PlProxy.Client.Tool.Scaffolding.Mapping;

/// <summary>The C# type a PostgreSQL type maps to.</summary>
/// <param name="Name">The C# type, without a nullable annotation (<c>string</c>, <c>int</c>, <c>Guid</c>, <c>int[]</c>).</param>
/// <param name="IsValueType">True for a struct, whose nullable form is <c>T?</c> of <see cref="Nullable{T}"/>.</param>
/// <param name="PgType">
/// The PostgreSQL type to name with <c>[PgType("...")]</c> when the C# type alone would declare another one
/// (<c>varchar</c>, <c>timestamp</c>, an enum); null when the C# type's own mapping is right.
/// </param>
/// <param name="ResultPgType">The type to read a result as when reading it as the C# type's own mapping would change the value (<c>timestamp</c>, <c>bpchar</c>); otherwise null.</param>
/// <param name="Note">What a reader of the generated code should know (an enum passed as its label, a domain's base type), or null.</param>
internal sealed record ClrType(string Name, bool IsValueType, string? PgType = null, string? ResultPgType = null, string? Note = null)
{
    /// <summary>The type in the form that admits NULL.</summary>
    public string Nullable => Name + "?";

    /// <summary>The PostgreSQL type the generator declares for a parameter of this type.</summary>
    public string DeclaredPgType(string defaultPgType) => PgType ?? defaultPgType;
}

/// <summary>A mapping, or why there is none.</summary>
/// <param name="Type">The C# type, or null.</param>
/// <param name="Reason">Why the type cannot be mapped, when <paramref name="Type"/> is null.</param>
/// <param name="DefaultPgType">The PostgreSQL type the C# type stands for by default (what the generator declares without <c>[PgType]</c>).</param>
internal readonly record struct TypeMapping(ClrType? Type, string Reason, string DefaultPgType)
{
    public static TypeMapping Unsupported(string reason) => new(null, reason, "");
}

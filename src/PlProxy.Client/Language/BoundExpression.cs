namespace PlProxy.Client.Language;

/// <summary>The functions the client evaluates itself, each exactly as PostgreSQL does.</summary>
internal enum BuiltinFunction
{
    /// <summary>Not a built-in: a <see cref="UserFunction"/>.</summary>
    None,

    /// <summary><c>hashtext(text) → int4</c> (PostgreSQL 8.3's lookup2 on legacy clusters).</summary>
    HashText,

    /// <summary><c>hashtextextended(text, int8) → int8</c>.</summary>
    HashTextExtended,

    /// <summary><c>hashint2(int2) → int4</c>.</summary>
    HashInt2,

    /// <summary><c>hashint4(int4) → int4</c>.</summary>
    HashInt4,

    /// <summary><c>hashint8(int8) → int4</c>.</summary>
    HashInt8,

    /// <summary><c>hashint8extended(int8, int8) → int8</c>.</summary>
    HashInt8Extended,

    /// <summary><c>uuid_hash(uuid) → int4</c>.</summary>
    UuidHash,

    /// <summary><c>ascii(text) → int4</c>: the code point of the first character, 0 for ''.</summary>
    Ascii,

    /// <summary><c>lower(text) → text</c>, ASCII letters only unless the cluster allows more.</summary>
    Lower,

    /// <summary><c>upper(text) → text</c>, ASCII letters only unless the cluster allows more.</summary>
    Upper,

    /// <summary>The <c>||</c> operator on text (an integer operand is written in decimal, as PostgreSQL's output function does).</summary>
    Concat,
}

/// <summary>An expression of RUN ON, CLUSTER or CONNECT, bound to the function's arguments and typed.</summary>
internal abstract record BoundExpression(PgType Type);

/// <summary>An argument of the proxy function; under SPLIT, one element of a split array.</summary>
/// <param name="ParameterIndex">The argument's position.</param>
/// <param name="Name">The argument's name as written (for messages).</param>
/// <param name="IsSplitElement">True when the argument is split: the expression sees one element at a time.</param>
/// <param name="Type">The argument's type (the element type when split).</param>
internal sealed record ArgumentExpression(int ParameterIndex, string Name, bool IsSplitElement, PgType Type) : BoundExpression(Type);

/// <summary>A literal: text (<see cref="Text"/>), an integer (<see cref="Integer"/>) or NULL (<see cref="IsNull"/>).</summary>
internal sealed record LiteralExpression(string? Text, long Integer, bool IsNull, PgType Type) : BoundExpression(Type);

/// <summary>A call of a built-in or user function (the <c>||</c> operator included).</summary>
/// <param name="Name">The function name as written.</param>
/// <param name="Builtin">The built-in, or <see cref="BuiltinFunction.None"/> for a user function.</param>
/// <param name="Arguments">The arguments.</param>
/// <param name="ReturnsSet">True for a set-returning user function.</param>
/// <param name="Type">The result type.</param>
internal sealed record CallExpression(string Name, BuiltinFunction Builtin, EquatableArray<BoundExpression> Arguments, bool ReturnsSet, PgType Type) : BoundExpression(Type);

/// <summary><c>operand::type</c> between integer types and to text.</summary>
internal sealed record CastExpression(BoundExpression Operand, PgType Type) : BoundExpression(Type);

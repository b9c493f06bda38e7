namespace PlProxy.Client.Language;

/// <summary>The kinds of token the scanner produces in its two modes, as PL/Proxy's scanner does.</summary>
internal enum TokenKind
{
    /// <summary>The end of the body.</summary>
    End,

    // Statement mode.

    /// <summary>CLUSTER, CONNECT, RUN, ON, ALL, ANY, SPLIT, TARGET or SELECT (case-insensitive).</summary>
    Keyword,

    /// <summary>A name, possibly dotted (<c>schema . name</c>), or an argument reference <c>$n</c>.</summary>
    Identifier,

    /// <summary>An unsigned integer.</summary>
    Number,

    /// <summary>A single-quoted string; <see cref="Token.Value"/> holds it unquoted.</summary>
    String,

    /// <summary>A name followed by <c>(</c>: the start of a function call, after which the scanner reads SQL.</summary>
    FunctionCall,

    /// <summary>Any other single character, <c>;</c> and <c>,</c> among them.</summary>
    Symbol,

    // SQL mode (after SELECT or a function call, up to the next top-level semicolon).

    /// <summary>A bare SQL identifier (possibly dotted) or <c>$n</c>: a candidate for argument substitution.</summary>
    SqlIdentifier,

    /// <summary>White space or a comment, which PL/Proxy passes on as one space.</summary>
    SqlWhitespace,

    /// <summary>A string literal (<c>'…'</c> or <c>E'…'</c>), passed on untouched.</summary>
    SqlString,

    /// <summary>A double-quoted identifier, passed on untouched and never substituted.</summary>
    SqlQuotedIdentifier,

    /// <summary>A dollar-quoted string, passed on untouched.</summary>
    SqlDollarString,

    /// <summary>A numeric literal.</summary>
    SqlNumber,

    /// <summary>One operator or punctuation character.</summary>
    SqlSymbol,
}

/// <summary>PL/Proxy's keywords.</summary>
internal enum Keyword
{
    None,
    Cluster,
    Connect,
    Run,
    On,
    All,
    Any,
    Split,
    Target,
    Select,
}

/// <summary>One token of a PL/Proxy body.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="Text">Its text as written (for a function call, the function name).</param>
/// <param name="Span">Where it is.</param>
/// <param name="Keyword">The keyword, for <see cref="TokenKind.Keyword"/>.</param>
/// <param name="Value">The unquoted value, for <see cref="TokenKind.String"/>.</param>
internal readonly record struct Token(TokenKind Kind, string Text, SourceSpan Span, Keyword Keyword = Keyword.None, string? Value = null)
{
    public bool IsSymbol(char symbol) =>
        (Kind == TokenKind.Symbol || Kind == TokenKind.SqlSymbol) && Text.Length == 1 && Text[0] == symbol;

    public bool IsKeyword(Keyword keyword) => Kind == TokenKind.Keyword && Keyword == keyword;
}

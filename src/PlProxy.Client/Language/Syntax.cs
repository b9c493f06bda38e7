namespace PlProxy.Client.Language;

/// <summary>A parsed PL/Proxy body: its statements in source order and the syntax errors found.</summary>
/// <param name="Statements">The statements that parsed.</param>
/// <param name="Diagnostics">Syntax errors; empty when the body parsed cleanly.</param>
/// <param name="End">The (empty) span at the end of the body, where errors about missing statements point.</param>
internal sealed record BodySyntax(EquatableArray<StatementSyntax> Statements, EquatableArray<BodyDiagnostic> Diagnostics, SourceSpan End)
{
    /// <summary>True when the body has no syntax errors.</summary>
    public bool IsValid => Diagnostics.Count == 0;
}

/// <summary>The PL/Proxy statement kinds.</summary>
internal enum StatementKind
{
    Cluster,
    Connect,
    Run,
    Split,
    Target,
    Select,
}

/// <summary>One statement of a body.</summary>
internal abstract record StatementSyntax(SourceSpan Span)
{
    public abstract StatementKind Kind { get; }

    /// <summary>The keyword as PL/Proxy's messages name the statement ("Only one RUN statement allowed").</summary>
    public string KeywordText => Kind.ToString().ToUpperInvariant();
}

/// <summary>A name as written in the body (an argument name, <c>$n</c>, or a function or target name).</summary>
internal readonly record struct NameSyntax(string Name, SourceSpan Span);

/// <summary>One piece of SQL text from SQL mode.</summary>
internal readonly record struct SqlToken(TokenKind Kind, string Text, SourceSpan Span)
{
    public bool IsSymbol(char symbol) => (Kind == TokenKind.SqlSymbol || Kind == TokenKind.Symbol) && Text.Length == 1 && Text[0] == symbol;
}

/// <summary>A function call in CLUSTER, CONNECT or RUN ON: its name and the SQL after the opening parenthesis.</summary>
/// <param name="Name">The function name as written (possibly schema-qualified).</param>
/// <param name="NameSpan">Where the name is.</param>
/// <param name="Tokens">The SQL tokens after <c>(</c> up to the statement's semicolon, closing parenthesis included.</param>
internal sealed record CallSyntax(string Name, SourceSpan NameSpan, EquatableArray<SqlToken> Tokens);

/// <summary><c>CLUSTER 'name';</c> or <c>CLUSTER func(args);</c>.</summary>
internal sealed record ClusterSyntax(string? Name, CallSyntax? Function, SourceSpan Span) : StatementSyntax(Span)
{
    public override StatementKind Kind => StatementKind.Cluster;
}

/// <summary><c>CONNECT 'connstr';</c>, <c>CONNECT func(args);</c> or <c>CONNECT argname;</c> / <c>CONNECT $n;</c>.</summary>
internal sealed record ConnectSyntax(string? ConnectionString, CallSyntax? Function, NameSyntax? Argument, SourceSpan Span) : StatementSyntax(Span)
{
    public override StatementKind Kind => StatementKind.Connect;
}

/// <summary>The forms of RUN ON.</summary>
internal enum RunKind
{
    /// <summary>RUN ON ANY (also the default when RUN is missing).</summary>
    Any,

    /// <summary>RUN ON ALL.</summary>
    All,

    /// <summary>RUN ON &lt;number&gt;.</summary>
    Exact,

    /// <summary>RUN ON func(args): the function's result is the hash.</summary>
    Function,

    /// <summary>RUN ON argname / $n: the argument is the hash.</summary>
    Argument,
}

/// <summary><c>RUN ON ...;</c>.</summary>
internal sealed record RunSyntax(RunKind RunKind, int Number, CallSyntax? Function, NameSyntax? Argument, SourceSpan Span) : StatementSyntax(Span)
{
    public override StatementKind Kind => StatementKind.Run;
}

/// <summary><c>SPLIT a, b;</c> or <c>SPLIT ALL;</c>.</summary>
internal sealed record SplitSyntax(bool All, EquatableArray<NameSyntax> Arguments, SourceSpan Span) : StatementSyntax(Span)
{
    public override StatementKind Kind => StatementKind.Split;
}

/// <summary><c>TARGET funcname;</c>.</summary>
internal sealed record TargetSyntax(NameSyntax Name, SourceSpan Span) : StatementSyntax(Span)
{
    public override StatementKind Kind => StatementKind.Target;
}

/// <summary><c>SELECT ...;</c>: the SQL from the SELECT keyword up to the semicolon.</summary>
internal sealed record SelectSyntax(EquatableArray<SqlToken> Tokens, SourceSpan Span) : StatementSyntax(Span)
{
    public override StatementKind Kind => StatementKind.Select;
}

using System.Collections.Generic;

namespace PlProxy.Client.Language;

/// <summary>
/// Parses a PL/Proxy body (PL/Proxy 2.10 grammar) into a <see cref="BodySyntax"/>. Never throws: errors are
/// returned as diagnostics, and after a syntax error the parser skips to the next semicolon and goes on, so one
/// pass reports every error. Statement combinations (CONNECT with CLUSTER, a missing CLUSTER ...) are checked
/// by the <see cref="Binder"/>, since an interface-level body may supply what a method's body lacks.
/// </summary>
internal sealed class Parser
{
    /// <summary>How many syntax errors one body reports before the parser stops reading it.</summary>
    public const int MaxDiagnostics = 100;

    private readonly List<Token> _tokens;
    private readonly List<BodyDiagnostic> _diagnostics;
    private readonly List<StatementSyntax> _statements = new();
    private readonly HashSet<StatementKind> _seen = new();
    private int _index;

    private Parser(List<Token> tokens, List<BodyDiagnostic> diagnostics)
    {
        _tokens = tokens;
        _diagnostics = diagnostics;
    }

    /// <summary>Parses <paramref name="body"/>.</summary>
    public static BodySyntax Parse(string body)
    {
        var diagnostics = new List<BodyDiagnostic>();
        List<Token> tokens = Scanner.Scan(body ?? "", diagnostics);
        var parser = new Parser(tokens, diagnostics);
        parser.ParseBody();
        return new BodySyntax(
            new EquatableArray<StatementSyntax>(parser._statements.ToArray()),
            new EquatableArray<BodyDiagnostic>(diagnostics.ToArray()),
            tokens[tokens.Count - 1].Span);
    }

    private Token Current => _tokens[_index];

    private void ParseBody()
    {
        while (Current.Kind != TokenKind.End)
        {
            Token start = Current;
            StatementSyntax? statement = start.Kind == TokenKind.Keyword
                ? start.Keyword switch
                {
                    Keyword.Cluster => ParseCluster(),
                    Keyword.Connect => ParseConnect(),
                    Keyword.Run => ParseRun(),
                    Keyword.Split => ParseSplit(),
                    Keyword.Target => ParseTarget(),
                    Keyword.Select => ParseSelect(),
                    _ => Unexpected("a statement (CLUSTER, CONNECT, RUN, SPLIT, TARGET or SELECT)"),
                }
                : Unexpected("a statement (CLUSTER, CONNECT, RUN, SPLIT, TARGET or SELECT)");

            if (statement is null)
            {
                if (_diagnostics.Count >= MaxDiagnostics)
                {
                    _diagnostics.Add(new BodyDiagnostic(DiagnosticIds.SyntaxError, $"more than {MaxDiagnostics} syntax errors; the rest of the body was not read", Current.Span));
                    return;
                }

                Recover();
                continue;
            }

            if (!_seen.Add(statement.Kind))
            {
                _diagnostics.Add(new BodyDiagnostic(DiagnosticIds.DuplicateStatement, $"Only one {statement.KeywordText} statement allowed", statement.Span));
                continue;
            }

            _statements.Add(statement);
        }
    }

    private StatementSyntax? ParseCluster()
    {
        Token keyword = Advance();
        if (Current.Kind == TokenKind.String)
        {
            Token name = Advance();
            return ExpectSemicolon(keyword) is { } end ? new ClusterSyntax(name.Value, null, Cover(keyword, end)) : null;
        }

        if (Current.Kind == TokenKind.FunctionCall)
        {
            return ParseCall() is { } call && Previous is var end ? new ClusterSyntax(null, call, Cover(keyword, end)) : null;
        }

        return Unexpected("a cluster name in quotes or a function call after CLUSTER");
    }

    private StatementSyntax? ParseConnect()
    {
        Token keyword = Advance();
        switch (Current.Kind)
        {
            case TokenKind.String:
            {
                Token value = Advance();
                return ExpectSemicolon(keyword) is { } end ? new ConnectSyntax(value.Value, null, null, Cover(keyword, end)) : null;
            }

            case TokenKind.FunctionCall:
                return ParseCall() is { } call ? new ConnectSyntax(null, call, null, Cover(keyword, Previous)) : null;

            case TokenKind.Identifier:
            {
                Token argument = Advance();
                return ExpectSemicolon(keyword) is { } end
                    ? new ConnectSyntax(null, null, new NameSyntax(argument.Text, argument.Span), Cover(keyword, end))
                    : null;
            }

            default:
                return Unexpected("a connection string in quotes, a function call or an argument after CONNECT");
        }
    }

    private StatementSyntax? ParseRun()
    {
        Token keyword = Advance();
        if (!Current.IsKeyword(Keyword.On))
        {
            return Unexpected("ON after RUN");
        }

        Advance();
        Token spec = Current;
        switch (spec.Kind)
        {
            case TokenKind.FunctionCall:
                return ParseCall() is { } call ? new RunSyntax(RunKind.Function, 0, call, null, Cover(keyword, Previous)) : null;

            case TokenKind.Number:
            {
                Advance();
                if (!int.TryParse(spec.Text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int number))
                {
                    _diagnostics.Add(new BodyDiagnostic(DiagnosticIds.SyntaxError, $"partition number {spec.Text} is too large", spec.Span));
                    return null;
                }

                return ExpectSemicolon(keyword) is { } end ? new RunSyntax(RunKind.Exact, number, null, null, Cover(keyword, end)) : null;
            }

            case TokenKind.Keyword when spec.Keyword is Keyword.Any or Keyword.All:
            {
                Advance();
                return ExpectSemicolon(keyword) is { } end
                    ? new RunSyntax(spec.Keyword == Keyword.All ? RunKind.All : RunKind.Any, 0, null, null, Cover(keyword, end))
                    : null;
            }

            case TokenKind.Identifier:
            {
                Advance();
                return ExpectSemicolon(keyword) is { } end
                    ? new RunSyntax(RunKind.Argument, 0, null, new NameSyntax(spec.Text, spec.Span), Cover(keyword, end))
                    : null;
            }

            default:
                return Unexpected("ALL, ANY, a partition number, a hash function call or an argument after RUN ON");
        }
    }

    private StatementSyntax? ParseSplit()
    {
        Token keyword = Advance();
        if (Current.IsKeyword(Keyword.All))
        {
            Advance();
            return ExpectSemicolon(keyword) is { } end ? new SplitSyntax(true, EquatableArray<NameSyntax>.Empty, Cover(keyword, end)) : null;
        }

        var arguments = new List<NameSyntax>();
        while (true)
        {
            if (Current.Kind != TokenKind.Identifier)
            {
                return Unexpected("an array argument or ALL after SPLIT");
            }

            Token argument = Advance();
            arguments.Add(new NameSyntax(argument.Text, argument.Span));
            if (Current.IsSymbol(','))
            {
                Advance();
                continue;
            }

            return ExpectSemicolon(keyword) is { } end ? new SplitSyntax(false, new EquatableArray<NameSyntax>(arguments.ToArray()), Cover(keyword, end)) : null;
        }
    }

    private StatementSyntax? ParseTarget()
    {
        Token keyword = Advance();
        if (Current.Kind != TokenKind.Identifier || Current.Text.StartsWith("$", StringComparison.Ordinal))
        {
            return Unexpected("a function name after TARGET");
        }

        Token name = Advance();
        return ExpectSemicolon(keyword) is { } end ? new TargetSyntax(new NameSyntax(name.Text, name.Span), Cover(keyword, end)) : null;
    }

    private StatementSyntax? ParseSelect()
    {
        Token keyword = Advance();
        var tokens = new List<SqlToken> { new(TokenKind.SqlIdentifier, keyword.Text, keyword.Span) };
        return ReadSqlUntilSemicolon(tokens, "SELECT") ? new SelectSyntax(new EquatableArray<SqlToken>(tokens.ToArray()), Cover(keyword, Previous)) : null;
    }

    // FUNCTIONCALL sql_token+ ';'
    private CallSyntax? ParseCall()
    {
        Token call = Advance();
        var tokens = new List<SqlToken>();
        return ReadSqlUntilSemicolon(tokens, call.Text + "(") ? new CallSyntax(call.Text, call.Span, new EquatableArray<SqlToken>(tokens.ToArray())) : null;
    }

    private bool ReadSqlUntilSemicolon(List<SqlToken> tokens, string what)
    {
        int count = tokens.Count;
        while (IsSqlToken(Current.Kind))
        {
            Token token = Advance();
            tokens.Add(new SqlToken(token.Kind, token.Text, token.Span));
        }

        if (tokens.Count == count)
        {
            Unexpected($"SQL after {what}");
            return false;
        }

        if (!Current.IsSymbol(';'))
        {
            Unexpected($"';' to end the SQL after {what}");
            return false;
        }

        Advance();
        return true;
    }

    private static bool IsSqlToken(TokenKind kind) => kind >= TokenKind.SqlIdentifier;

    private Token? ExpectSemicolon(Token keyword)
    {
        if (Current.IsSymbol(';'))
        {
            return Advance();
        }

        Unexpected($"';' to end the {keyword.Text.ToUpperInvariant()} statement");
        return null;
    }

    private StatementSyntax? Unexpected(string expected)
    {
        Token token = Current;
        if (token.Kind == TokenKind.End && _diagnostics.Exists(d => d.Id == DiagnosticIds.Unterminated))
        {
            return null; // the unterminated quote or comment already explains the missing end
        }

        string found = token.Kind == TokenKind.End ? "the end of the body" : $"'{token.Text}'";
        _diagnostics.Add(new BodyDiagnostic(DiagnosticIds.SyntaxError, $"syntax error: expected {expected}, found {found}", token.Span));
        return null;
    }

    // After an error: skip to just past the next semicolon of statement mode.
    private void Recover()
    {
        while (Current.Kind != TokenKind.End)
        {
            Token token = Advance();
            if (token.Kind == TokenKind.Symbol && token.Text == ";")
            {
                return;
            }
        }
    }

    private Token Previous => _tokens[_index - 1];

    private Token Advance()
    {
        Token token = _tokens[_index];
        if (_index < _tokens.Count - 1)
        {
            _index++;
        }

        return token;
    }

    private static SourceSpan Cover(Token first, Token last) => SourceSpan.Cover(first.Span, last.Span);
}

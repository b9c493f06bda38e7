using PlProxy.Client.Language;

namespace PlProxy.Client.Tests.Language;

public sealed class ParserTests
{
    private static T Single<T>(string body)
        where T : StatementSyntax
    {
        BodySyntax syntax = Parser.Parse(body);
        Assert.True(syntax.IsValid, string.Join("; ", syntax.Diagnostics));
        return Assert.IsType<T>(Assert.Single(syntax.Statements));
    }

    private static BodyDiagnostic SingleError(string body)
    {
        BodySyntax syntax = Parser.Parse(body);
        return Assert.Single(syntax.Diagnostics);
    }

    [Fact]
    public void Parse_ClusterName_ReadsTheUnquotedName() =>
        Assert.Equal("user'db", Single<ClusterSyntax>("CLUSTER 'user''db';").Name);

    [Fact]
    public void Parse_ClusterFunction_ReadsNameAndSqlArguments()
    {
        ClusterSyntax cluster = Single<ClusterSyntax>("cluster map_cluster(part, 'x');");

        Assert.Null(cluster.Name);
        Assert.Equal("map_cluster", cluster.Function!.Name);
        Assert.Equal("part, 'x')", string.Concat(cluster.Function.Tokens.Select(t => t.Text)));
    }

    [Fact]
    public void Parse_ConnectString_ReadsTheConnectionString() =>
        Assert.Equal("dbname=part0 host=127.0.0.1", Single<ConnectSyntax>("CONNECT 'dbname=part0 host=127.0.0.1';").ConnectionString);

    [Theory]
    [InlineData("connect connstr;", "connstr")]
    [InlineData("connect $1;", "$1")]
    public void Parse_ConnectArgument_ReadsTheReference(string body, string reference) =>
        Assert.Equal(reference, Single<ConnectSyntax>(body).Argument!.Value.Name);

    [Fact]
    public void Parse_ConnectFunction_ReadsTheCall() =>
        Assert.Equal("text", Single<ConnectSyntax>("connect text(connstr);").Function!.Name);

    [Theory]
    [InlineData("run on all;", "All")]
    [InlineData("RUN ON ANY;", "Any")]
    [InlineData("rUn oN 3;", "Exact")]
    [InlineData("run on hashtext(username);", "Function")]
    [InlineData("run on user_id;", "Argument")]
    [InlineData("run on $2;", "Argument")]
    public void Parse_RunOn_RecognisesEachForm(string body, string kind) =>
        Assert.Equal(Enum.Parse<RunKind>(kind), Single<RunSyntax>(body).RunKind);

    [Fact]
    public void Parse_RunOnNumber_ReadsTheNumber() =>
        Assert.Equal(12, Single<RunSyntax>("run on 12;").Number);

    [Fact]
    public void Parse_RunOnFunction_KeepsArbitrarySqlInsideTheCall()
    {
        RunSyntax run = Single<RunSyntax>("run on hashtext(lower(username) || '#' || $2::text);");

        Assert.Equal("hashtext", run.Function!.Name);
        Assert.Contains(run.Function.Tokens, t => t.Kind == TokenKind.SqlIdentifier && t.Text == "lower");
        Assert.Contains(run.Function.Tokens, t => t.Kind == TokenKind.SqlString && t.Text == "'#'");
    }

    [Fact]
    public void Parse_SchemaQualifiedFunction_KeepsTheDottedName() =>
        Assert.Equal("myschema . my_hash", Single<RunSyntax>("run on myschema . my_hash(x);").Function!.Name);

    [Fact]
    public void Parse_SplitList_ReadsEveryArgument() =>
        Assert.Equal(["a", "$2", "c"], Single<SplitSyntax>("split a, $2 , c;").Arguments.Select(a => a.Name));

    [Fact]
    public void Parse_SplitAll_SetsAll() =>
        Assert.True(Single<SplitSyntax>("SPLIT ALL;").All);

    [Fact]
    public void Parse_Target_ReadsTheQualifiedName() =>
        Assert.Equal("other.get_user", Single<TargetSyntax>("target other.get_user;").Name.Name);

    [Fact]
    public void Parse_Select_KeepsEverythingUpToTheSemicolon()
    {
        SelectSyntax select = Single<SelectSyntax>("select a.balance, $1 from accounts a where a.username = username;");

        Assert.Equal("select a.balance, $1 from accounts a where a.username = username", string.Concat(select.Tokens.Select(t => t.Text)));
    }

    [Fact]
    public void Parse_SelectWithParenthesis_IsSelectNotAFunctionCall() =>
        Assert.IsType<SelectSyntax>(Assert.Single(Parser.Parse("select (1);").Statements));

    [Fact]
    public void Parse_SemicolonsInsideQuotesCommentsAndDollarQuotes_DoNotEndTheSelect()
    {
        const string body = """
            select /* ; */ 'a;b' as "x;y", $q$ ; $q$, E'\'; ' -- ;
            from t;
            """;

        SelectSyntax select = Single<SelectSyntax>(body);

        Assert.Contains(select.Tokens, t => t.Kind == TokenKind.SqlDollarString && t.Text == "$q$ ; $q$");
        Assert.Contains(select.Tokens, t => t.Kind == TokenKind.SqlQuotedIdentifier && t.Text == "\"x;y\"");
        Assert.Contains(select.Tokens, t => t.Kind == TokenKind.SqlString && t.Text == "E'\\'; '");
        Assert.Contains(select.Tokens, t => t.Text == "from");
    }

    [Fact]
    public void Parse_CommentsAnywhere_AreIgnored()
    {
        BodySyntax syntax = Parser.Parse("""
            -- leading comment
            cluster /* inline */ 'userdb'; /* between
            statements */ run on -- before the hash
              hashtext(username);
            """);

        Assert.True(syntax.IsValid, string.Join("; ", syntax.Diagnostics));
        Assert.Equal([StatementKind.Cluster, StatementKind.Run], syntax.Statements.Select(s => s.Kind));
    }

    [Fact]
    public void Parse_KeywordsInAnyCase_AreKeywords() =>
        Assert.Equal([StatementKind.Cluster, StatementKind.Split, StatementKind.Run, StatementKind.Target],
            Parser.Parse("ClUsTeR 'c'; sPlIt ALL; RuN On AnY; TaRgEt f;").Statements.Select(s => s.Kind));

    [Fact]
    public void Parse_StatementSpans_CarryLineAndColumn()
    {
        BodySyntax syntax = Parser.Parse("cluster 'a';\n  run on 0;");

        Assert.Equal(new SourceSpan(15, 9, 2, 3), syntax.Statements[1].Span);
    }

    [Theory]
    [InlineData("cluster 'a'; cluster 'b';", "CLUSTER")]
    [InlineData("run on 0; run on 1;", "RUN")]
    [InlineData("connect 'x'; connect 'y';", "CONNECT")]
    [InlineData("split a; split b;", "SPLIT")]
    [InlineData("target f; target g;", "TARGET")]
    [InlineData("select 1; select 2;", "SELECT")]
    public void Parse_RepeatedStatement_ReportsOnlyOneAllowed(string body, string keyword)
    {
        BodyDiagnostic error = SingleError(body);

        Assert.Equal(DiagnosticIds.DuplicateStatement, error.Id);
        Assert.Equal($"Only one {keyword} statement allowed", error.Message);
    }

    [Theory]
    [InlineData("cluster userdb;")]
    [InlineData("cluster 'a'")]
    [InlineData("run 0;")]
    [InlineData("run on;")]
    [InlineData("run on 'x';")]
    [InlineData("split;")]
    [InlineData("split a b;")]
    [InlineData("target 'f';")]
    [InlineData("target $1;")]
    [InlineData("select;")]
    [InlineData("select 1")]
    [InlineData("run on hashtext(x)")]
    [InlineData("frobnicate 'x';")]
    [InlineData("connect;")]
    [InlineData("select $a;")]
    public void Parse_MalformedStatement_ReportsSyntaxError(string body)
    {
        BodyDiagnostic error = Parser.Parse(body).Diagnostics.First();

        Assert.Equal(DiagnosticIds.SyntaxError, error.Id);
        Assert.StartsWith("syntax error: expected", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SyntaxError_NamesTheLineInPlProxysForm()
    {
        BodyDiagnostic error = Parser.Parse("cluster 'a';\n\nrun on 'x';").Diagnostics.Single();

        Assert.StartsWith("Compile error at line 3: syntax error", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AfterASyntaxError_ContinuesWithTheNextStatement()
    {
        BodySyntax syntax = Parser.Parse("cluster userdb; run on 0; target 'x'; split a;");

        Assert.Equal(2, syntax.Diagnostics.Count);
        Assert.Equal([StatementKind.Run, StatementKind.Split], syntax.Statements.Select(s => s.Kind));
    }

    [Theory]
    [InlineData("cluster 'abc;", "string literal")]
    [InlineData("cluster 'a'; /* never closed", "comment")]
    [InlineData("select 'abc;", "string literal")]
    [InlineData("select \"abc;", "quoted identifier")]
    [InlineData("select $x$ abc;", "dollar-quoted string")]
    public void Parse_UnterminatedQuoteOrComment_ReportsIt(string body, string what)
    {
        BodyDiagnostic error = Parser.Parse(body).Diagnostics.First(d => d.Id == DiagnosticIds.Unterminated);

        Assert.Equal($"unterminated {what}", error.Message);
    }

    [Fact]
    public void Parse_EmptyBody_HasNoStatementsAndNoErrors()
    {
        BodySyntax syntax = Parser.Parse("  -- nothing\n");

        Assert.Empty(syntax.Statements);
        Assert.True(syntax.IsValid);
    }

    [Fact]
    public void Parse_SameBodyTwice_GivesEqualModels() =>
        Assert.Equal(Parser.Parse("cluster 'a'; run on hashtext(x); select x from t;"), Parser.Parse("cluster 'a'; run on hashtext(x); select x from t;"));

    [Fact]
    public void Parse_MultibyteIdentifiers_AreIdentifiers() =>
        Assert.Equal("имя", Single<RunSyntax>("run on имя;").Argument!.Value.Name);
}

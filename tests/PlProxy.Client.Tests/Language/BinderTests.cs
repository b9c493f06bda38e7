using PlProxy.Client.Configuration;
using PlProxy.Client.Language;

namespace PlProxy.Client.Tests.Language;

public sealed class BinderTests
{
    private static readonly FunctionSignature UserSignature = Signature("get_user", returnsSet: false, ("username", "text"), ("user_id", "int8"), ("tags", "text[]"));

    private static FunctionSignature Signature(string name, bool returnsSet, params (string Name, string Type)[] parameters) =>
        new(name, new EquatableArray<ParameterSignature>([.. parameters.Select(p => new ParameterSignature(p.Name, PgType.Parse(p.Type)))]), returnsSet);

    private static BoundFunction Bind(string body, FunctionSignature? signature = null, IFunctionCatalog? catalog = null)
    {
        BindResult result = Binder.Bind(Parser.Parse(body), signature ?? UserSignature, catalog);
        Assert.True(result.Succeeded, string.Join("; ", result.Diagnostics));
        return result.Function!;
    }

    private static BodyDiagnostic Error(string body, FunctionSignature? signature = null, IFunctionCatalog? catalog = null) =>
        Assert.Single(Binder.Bind(Parser.Parse(body), signature ?? UserSignature, catalog).Diagnostics);

    [Fact]
    public void Bind_WithoutRun_RunsOnAny() =>
        Assert.Equal(RunKind.Any, Bind("cluster 'userdb';").Run);

    [Fact]
    public void Bind_ClusterName_IsTheLocation()
    {
        BoundFunction function = Bind("cluster 'userdb'; run on 3;");

        Assert.Equal((LocationKind.ClusterName, "userdb", 3), (function.Location, function.ClusterName, function.ExactPartition));
    }

    [Fact]
    public void Bind_WithoutClusterOrConnect_ReportsClusterMissing()
    {
        BodyDiagnostic error = Error("run on 0;");

        Assert.Equal((DiagnosticIds.ClusterMissing, "CLUSTER statement missing"), (error.Id, error.Message));
    }

    [Theory]
    [InlineData("connect 'dbname=x'; cluster 'c';")]
    [InlineData("connect 'dbname=x'; run on 0;")]
    public void Bind_ConnectWithClusterOrRun_IsAnError(string body) =>
        Assert.Equal("CONNECT cannot be used with CLUSTER/RUN", Error(body).Message);

    [Fact]
    public void Bind_TargetWithSelect_IsAnError() =>
        Assert.Equal("TARGET cannot be used with SELECT", Error("cluster 'c'; target f; select 1;").Message);

    [Fact]
    public void Bind_RunOnAllOfScalarFunction_IsAnError() =>
        Assert.Equal(DiagnosticIds.RunOnAllRequiresSet, Error("cluster 'c'; run on all;").Id);

    [Fact]
    public void Bind_RunOnAllOfSetFunction_Binds() =>
        Assert.Equal(RunKind.All, Bind("cluster 'c'; run on all;", Signature("f", returnsSet: true)).Run);

    [Theory]
    [InlineData("cluster 'c'; run on hashtext($4);", "$4")]
    [InlineData("cluster 'c'; run on hashtext(name);", "name")]
    [InlineData("cluster 'c'; run on nobody;", "nobody")]
    [InlineData("cluster 'c'; split nobody;", "nobody")]
    [InlineData("connect nobody;", "nobody")]
    [InlineData("cluster 'c'; select $9;", "$9")]
    public void Bind_UnknownArgument_ReportsInvalidArgumentReference(string body, string reference)
    {
        BodyDiagnostic error = Error(body);

        Assert.Equal((DiagnosticIds.InvalidArgumentReference, $"invalid argument reference: {reference}"), (error.Id, error.Message));
    }

    [Fact]
    public void Bind_ArgumentNames_MatchCaseInsensitively() =>
        Assert.Equal(0, ((ArgumentExpression)((CallExpression)Bind("cluster 'c'; run on hashtext(UserName);").Hash!).Arguments[0]).ParameterIndex);

    [Fact]
    public void Bind_SplitOfScalar_IsAnError() =>
        Assert.Equal("SPLIT parameter is not an array: username", Error("cluster 'c'; split username;").Message);

    [Fact]
    public void Bind_SplitTwice_IsAnError() =>
        Assert.Equal("SPLIT parameter specified more than once: $3", Error("cluster 'c'; split tags, $3;").Message);

    [Fact]
    public void Bind_SplitAll_SplitsEveryArrayArgument() =>
        Assert.Equal([2], Bind("cluster 'c'; split all;").SplitParameters);

    [Fact]
    public void Bind_HashOfSplitArgument_ReadsElements()
    {
        var argument = (ArgumentExpression)((CallExpression)Bind("cluster 'c'; split tags; run on hashtext(tags);").Hash!).Arguments[0];

        Assert.True(argument.IsSplitElement);
        Assert.Equal(PgType.Text, argument.Type);
    }

    [Theory]
    [InlineData("run on username;", "username")]
    [InlineData("run on lower(username);", "lower(...)")]
    public void Bind_NonIntegerHash_IsAnError(string run, string what)
    {
        BodyDiagnostic error = Error("cluster 'c'; " + run);

        Assert.Equal(DiagnosticIds.HashTypeInvalid, error.Id);
        Assert.Contains(what, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hashtext(username)", "int4")]
    [InlineData("hashint8(user_id)", "int4")]
    [InlineData("hashtextextended(username, 42)", "int8")]
    [InlineData("hashtext(lower(username) || '-' || user_id)", "int4")]
    [InlineData("hashint4(user_id::int4)", "int4")]
    [InlineData("int4(user_id)", "int4")]
    [InlineData("ascii(username)", "int4")]
    [InlineData("pg_catalog.hashtext(username)", "int4")]
    [InlineData("hashtext(upper($1))", "int4")]
    [InlineData("hashtext((username))", "int4")]
    [InlineData("hashtext($$literal$$)", "int4")]
    public void Bind_SupportedHashExpression_HasItsType(string hash, string type) =>
        Assert.Equal(type, Bind($"cluster 'c'; run on {hash};").Hash!.Type.Name);

    [Theory]
    [InlineData("hashint4(user_id)", DiagnosticIds.ArgumentTypeMismatch)]
    [InlineData("hashtext(user_id)", DiagnosticIds.ArgumentTypeMismatch)]
    [InlineData("hashtext(username, 1)", DiagnosticIds.ArgumentTypeMismatch)]
    [InlineData("md5hash(username)", DiagnosticIds.UnknownFunction)]
    [InlineData("hashtext(username) + 1", DiagnosticIds.UnsupportedExpression)]
    [InlineData("hashtext(\"username\")", DiagnosticIds.UnsupportedExpression)]
    [InlineData("hashtext(username::date)", DiagnosticIds.UnsupportedExpression)]
    [InlineData("hashtext(user_id || user_id)", DiagnosticIds.ArgumentTypeMismatch)]
    [InlineData("hashtext(username", DiagnosticIds.UnsupportedExpression)]
    public void Bind_UnsupportedHashExpression_ReportsWhy(string hash, string id) =>
        Assert.Equal(id, Error($"cluster 'c'; run on {hash};").Id);

    [Fact]
    public void Bind_RegisteredHashFunction_IsCalled()
    {
        var catalog = new FunctionCatalog([new UserFunction("my_hash", new([PgType.Text, PgType.Int4]), PgType.Int8, false)]);

        var call = (CallExpression)Bind("cluster 'c'; run on my_hash(username, 7);", catalog: catalog).Hash!;

        Assert.Equal((BuiltinFunction.None, "int8"), (call.Builtin, call.Type.Name));
    }

    [Fact]
    public void Bind_SetReturningHashOnScalarFunction_IsAnError()
    {
        var catalog = new FunctionCatalog([new UserFunction("all_hashes", new([PgType.Text]), PgType.Int4, true)]);

        Assert.Equal(DiagnosticIds.SetHashRequiresSet, Error("cluster 'c'; run on all_hashes(username);", catalog: catalog).Id);
    }

    [Fact]
    public void Bind_ClusterFunction_MustReturnText()
    {
        var catalog = new FunctionCatalog([new UserFunction("pick", new([PgType.Text]), PgType.Int4, false)]);

        Assert.Equal(DiagnosticIds.NameTypeInvalid, Error("cluster pick(username);", catalog: catalog).Id);
    }

    [Fact]
    public void Bind_ConnectArgument_IsTheLocation() =>
        Assert.Equal(LocationKind.ConnectExpression, Bind("connect $1;").Location);

    [Fact]
    public void Bind_Select_ReplacesArgumentsWithTypedParametersInOrderOfFirstUse()
    {
        BoundQuery query = Bind("cluster 'c'; select a.username, username, \"username\", 'username' from t a where a.id = $2 and USERNAME = username;").Select!;

        Assert.Equal("select a.username, $1::text, \"username\", 'username' from t a where a.id = $2::int8 and $1::text = $1::text", query.Sql);
        Assert.Equal([0, 1], query.ParameterIndexes);
    }

    [Fact]
    public void Bind_InterfaceStatements_ApplyToTheMethod()
    {
        BindResult result = Binder.Bind(Parser.Parse("cluster 'userdb';"), Parser.Parse("run on hashtext(username);"), false, UserSignature, null);

        Assert.True(result.Succeeded);
        Assert.Equal(("userdb", RunKind.Function), (result.Function!.ClusterName, result.Function.Run));
    }

    [Fact]
    public void Bind_StatementAtBothLevels_IsAnErrorAtTheMethod()
    {
        BindResult result = Binder.Bind(Parser.Parse("cluster 'userdb';"), Parser.Parse("cluster 'other';"), false, UserSignature, null);

        BodyDiagnostic error = Assert.Single(result.Diagnostics);
        Assert.Equal((DiagnosticIds.StatementAtBothLevels, false), (error.Id, error.InInterfaceBody));
    }

    [Fact]
    public void Bind_MethodReplacingTheInterface_Wins()
    {
        BindResult result = Binder.Bind(Parser.Parse("cluster 'userdb'; run on 0;"), Parser.Parse("cluster 'other';"), true, UserSignature, null);

        Assert.Equal(("other", RunKind.Exact), (result.Function!.ClusterName, result.Function.Run));
    }

    [Fact]
    public void Bind_MethodConnectReplacingTheInterface_DropsClusterAndRun()
    {
        BindResult result = Binder.Bind(Parser.Parse("cluster 'userdb'; run on hashtext(username);"), Parser.Parse("connect 'dbname=x';"), true, UserSignature, null);

        Assert.True(result.Succeeded, string.Join("; ", result.Diagnostics));
        Assert.Equal((LocationKind.ConnectString, "dbname=x"), (result.Function!.Location, result.Function.ConnectString));
    }

    [Fact]
    public void Bind_MethodConnectWithoutReplacing_IsAnError() =>
        Assert.Equal(DiagnosticIds.ConnectWithClusterOrRun,
            Assert.Single(Binder.Bind(Parser.Parse("cluster 'userdb';"), Parser.Parse("connect 'dbname=x';"), false, UserSignature, null).Diagnostics).Id);

    [Fact]
    public void Bind_ErrorInAnInterfaceStatement_PointsIntoTheInterfaceBody()
    {
        BindResult result = Binder.Bind(Parser.Parse("cluster 'userdb'; run on hashtext(login);"), Parser.Parse(""), false, UserSignature, null);

        BodyDiagnostic error = Assert.Single(result.Diagnostics);
        Assert.True(error.InInterfaceBody);
        Assert.Equal(DiagnosticIds.InvalidArgumentReference, error.Id);
    }

    [Fact]
    public void Bind_SyntaxErrorsOfTheMethodBody_AreReported() =>
        Assert.Contains(Binder.Bind(Parser.Parse("cluster 'c'; run on;"), UserSignature).Diagnostics, d => d.Id == DiagnosticIds.SyntaxError);

    [Fact]
    public void Bind_SameInputsTwice_GiveEqualModels() =>
        Assert.Equal(Bind("cluster 'c'; split tags; run on hashtext(tags || username); select 1;"), Bind("cluster 'c'; split tags; run on hashtext(tags || username); select 1;"));

    public static TheoryData<string> DeeplyNestedBodies => new()
    {
        $"cluster 'userdb'; run on hashtext({new string('(', 10_000)}username{new string(')', 10_000)});",
        $"cluster 'userdb'; run on hashtext({string.Concat(Enumerable.Repeat("lower(", 10_000))}username{new string(')', 10_000)});",
        $"cluster 'userdb'; run on hashtext(username{string.Concat(Enumerable.Repeat(" || 'a'", 10_000))});",
        $"cluster 'userdb'; run on hashtext(username{string.Concat(Enumerable.Repeat("::text", 10_000))});",
        $"connect {string.Concat(Enumerable.Repeat("lower(", 10_000))}username{new string(')', 10_000)};",
    };

    [Theory]
    [MemberData(nameof(DeeplyNestedBodies))]
    public void Bind_ExpressionNested10000Deep_ReportsTheLimitInsteadOfOverflowingTheStack(string body)
    {
        BodyDiagnostic error = Error(body);

        Assert.Equal((DiagnosticIds.ExpressionTooDeep, $"expression is nested more than {Binder.MaxExpressionDepth} levels deep"), (error.Id, error.Message));
    }

    [Fact]
    public void Bind_ExpressionAtTheDepthLimit_Binds()
    {
        // hashtext(...) is level 1; 98 lower() calls and the argument reach 100.
        BoundFunction function = Bind($"cluster 'userdb'; run on hashtext({string.Concat(Enumerable.Repeat("lower(", Binder.MaxExpressionDepth - 2))}username{new string(')', Binder.MaxExpressionDepth - 2)});");

        Assert.Equal(RunKind.Function, function.Run);
    }

    [Fact]
    public void Parse_OfAHundredThousandErrors_StopsAfterTheLimit()
    {
        BodySyntax body = Parser.Parse(string.Concat(Enumerable.Repeat("garbage; ", 100_000)));

        Assert.Equal(Parser.MaxDiagnostics + 1, body.Diagnostics.Count);
        Assert.Contains("the rest of the body was not read", body.Diagnostics[^1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TextCommand_WithAGarbageBody_FailsWithAMessageOfBoundedSize()
    {
        await using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("userdb", "Host=a"), new NoCallsExecutor());

        var error = await Assert.ThrowsAsync<ArgumentException>(() => source.ExecuteAsync(new PlProxyCommand("f", string.Concat(Enumerable.Repeat("garbage; ", 100_000))), TestContext.Current.CancellationToken));

        Assert.InRange(error.Message.Length, 1, 4_000);
        Assert.Matches(@"; and \d+ more \(Parameter 'command'\)$", error.Message);
    }

    [Fact]
    public async Task TextCommand_WithADeeplyNestedBody_FailsWithTheLimitBeforeAnyCall()
    {
        await using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("userdb", "Host=a"), new NoCallsExecutor());
        string body = $"CLUSTER 'userdb'; RUN ON hashtext(name{string.Concat(Enumerable.Repeat(" || 'a'", 10_000))});";

        var error = await Assert.ThrowsAsync<ArgumentException>(() => source.ExecuteAsync(new PlProxyCommand("f", body).Add("name", "x"), TestContext.Current.CancellationToken));

        Assert.Contains(DiagnosticIds.ExpressionTooDeep, error.Message, StringComparison.Ordinal);
    }

    private sealed class NoCallsExecutor : PlProxy.Client.Execution.IPartitionExecutor
    {
        public ValueTask<System.Data.Common.DbDataReader> ExecuteAsync(PlProxy.Client.Execution.PartitionRequest request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("no partition may be called");
    }
}

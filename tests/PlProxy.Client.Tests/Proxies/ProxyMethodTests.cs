using PlProxy.Client.Proxies;

namespace PlProxy.Client.Tests.Proxies;

/// <summary>The remote query each result shape sends, built once per method.</summary>
public sealed class ProxyMethodTests
{
    private static readonly ProxyParameterInfo[] Username = [new() { Name = "username", PgType = "text" }, new() { Name = "ids", PgType = "int8[]" }];

    private static string Sql(bool returnsSet, string? resultPgType, bool isVoid, string body = "RUN ON hashtext(username);") =>
        ProxyMethod.Create(new ProxyMethodInfo
        {
            FunctionName = "get_balance",
            InterfaceBody = "CLUSTER 'userdb';",
            Body = body,
            Parameters = Username,
            ReturnsSet = returnsSet,
            ResultPgType = resultPgType,
            IsVoid = isVoid,
        }).Call.Sql;

    [Theory]
    [InlineData("RUN ON hashtext(username);", null, false)]
    [InlineData("RUN ON ALL;", "numeric", true)]
    [InlineData("RUN ON 0; SELECT username AS who;", "text", false)]
    public void Description_OfAnOlderGenerator_MeansWhatItMeantWhenTheInfoGainsProperties(string body, string? resultPgType, bool returnsSet)
    {
        // Generated code sets only the properties its generator knew; every property added since keeps, unset, the
        // meaning the runtime had before it (here: not idempotent, the interface's statements kept, no functions).
        ProxyMethod older = ProxyMethod.Create(new ProxyMethodInfo
        {
            FunctionName = "get_balance", InterfaceBody = "CLUSTER 'userdb';", Body = body, Parameters = Username, ReturnsSet = returnsSet, ResultPgType = resultPgType,
        });
        ProxyMethod explicitDefaults = ProxyMethod.Create(new ProxyMethodInfo
        {
            FunctionName = "get_balance", InterfaceBody = "CLUSTER 'userdb';", Body = body, Parameters = Username, ReturnsSet = returnsSet, ResultPgType = resultPgType,
            ReplacesInterfaceStatements = false, IsVoid = false, Functions = [], Idempotent = false,
        });

        Assert.Equal(
            (explicitDefaults.Call.Sql, explicitDefaults.Call.Idempotent, explicitDefaults.DisplayName, explicitDefaults.Call.Function.Run),
            (older.Call.Sql, older.Call.Idempotent, older.DisplayName, older.Call.Function.Run));
        Assert.False(older.Call.Idempotent);
    }

    [Fact]
    public void SingleScalar_CallsTheFunctionInTheSelectList() =>
        Assert.Equal("select get_balance($1::text, $2::int8[])::numeric as r", Sql(returnsSet: false, "numeric", isVoid: false));

    [Fact]
    public void SetOfScalars_ScansTheFunctionLikePlProxy() =>
        Assert.Equal("select r::numeric from get_balance($1::text, $2::int8[]) r", Sql(returnsSet: true, "numeric", isVoid: false));

    [Fact]
    public void Composite_SelectsEveryColumn() =>
        Assert.Equal("select * from get_balance($1::text, $2::int8[])", Sql(returnsSet: false, resultPgType: null, isVoid: false));

    [Fact]
    public void Void_CallsTheFunction() =>
        Assert.Equal("select get_balance($1::text, $2::int8[])", Sql(returnsSet: false, resultPgType: null, isVoid: true));

    [Fact]
    public void Target_ReplacesTheRemoteName() =>
        Assert.Equal("select * from other.fn($1::text, $2::int8[])", Sql(returnsSet: false, resultPgType: null, isVoid: false, "RUN ON hashtext(username); TARGET other.fn;"));

    [Fact]
    public void Select_IsSentWithTypedParameters() =>
        Assert.Equal("SELECT $1::text AS who", Sql(returnsSet: false, "text", isVoid: false, "RUN ON 0; SELECT username AS who;"));

    [Fact]
    public void BodyThatDoesNotBind_IsRefusedNamingTheError() =>
        Assert.Contains("PLPX2004", Assert.Throws<InvalidOperationException>(() => Sql(false, "text", false, "RUN ON hashtext(nobody);")).Message, StringComparison.Ordinal);
}

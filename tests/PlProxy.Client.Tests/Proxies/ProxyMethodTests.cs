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

    [Fact]
    public void Description_OfAnOlderGenerator_KeepsItsMeaningWhenTheInfoGainsProperties() =>
        Assert.False(ProxyMethod.Create(new ProxyMethodInfo { FunctionName = "f", Body = "CLUSTER 'userdb'; RUN ON 0;" }).Call.Idempotent); // an unset property is the old behaviour

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

using PlProxy.Client.Testing;

namespace PlProxy.Client.Tests;

/// <summary>A body given at run time: what goes into the SQL text must be a name, and each argument is named once.</summary>
public sealed class PlProxyCommandTests
{
    [Theory]
    [InlineData("get_balance() union select passwd from pg_shadow --")]
    [InlineData("f; drop table users")]
    public void FunctionThatIsNotAName_IsRefusedNamingIt(string function)
    {
        var error = Assert.Throws<ArgumentException>(() => new PlProxyCommand(function, "CLUSTER 'userdb'; RUN ON 0;"));

        Assert.Equal("function", error.ParamName);
        Assert.Contains($"'{function}' is not a function name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TypeThatIsNotAName_IsRefused()
    {
        var command = new PlProxyCommand("get_balance", "CLUSTER 'userdb'; RUN ON hashtext(username);");

        var error = Assert.Throws<ArgumentException>(() => command.Add("username", "bob", "text) union select passwd from pg_shadow --"));

        Assert.Equal("pgType", error.ParamName);
    }

    [Fact]
    public void ArgumentAddedTwice_IsRefused_RatherThanRoutedByEither()
    {
        var command = new PlProxyCommand("get_balance", "CLUSTER 'userdb'; RUN ON hashtext(username);").Add("username", "alice");

        var error = Assert.Throws<ArgumentException>(() => command.Add("UserName", "bob"));

        Assert.Contains("'UserName' was added already", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SchemaQualifiedAndQuotedNames_AreCalledAsGiven()
    {
        var cluster = new FakeCluster("userdb", 2).On("ops.\"getBalance\"", _ => FakeRows.Scalar(5m));
        await using PlProxyDataSource source = FakePlProxy.CreateDataSource(cluster);

        decimal balance = await source.ExecuteScalarAsync<decimal>(
            new PlProxyCommand("ops.\"getBalance\"", "CLUSTER 'userdb'; RUN ON 0;").Add("amount", 1.5m, "numeric(10, 2)"), TestContext.Current.CancellationToken);

        Assert.Equal(5m, balance);
        Assert.Equal("ops.\"getBalance\"", Assert.Single(cluster.Calls).Function);
    }
}

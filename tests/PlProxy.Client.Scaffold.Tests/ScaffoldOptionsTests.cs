using PlProxy.Client.Scaffold.Mapping;

namespace PlProxy.Client.Scaffold.Tests;

public sealed class ScaffoldOptionsTests
{
    [Fact]
    public void Parse_TheDocumentedOptions_ReadsThem()
    {
        ScaffoldOptions options = ScaffoldOptions.Parse(["--connection", "Host=proxy;Database=proxydb", "--output", "out", "--namespace", "My.Proxies",
            "--schema", "public", "--name", "get_*", "--cluster", "userdb", "--group-by", "schema", "--force"]);

        Assert.Equal(("Host=proxy;Database=proxydb", "out", "My.Proxies", ScaffoldGrouping.Schema, true), (options.Connection, options.Output, options.Namespace, options.Grouping, options.Force));
        Assert.Equal(["public", "get_*", "userdb"], [options.Schemas.Single(), options.NamePatterns.Single(), options.Clusters.Single()]);
    }

    [Theory]
    [InlineData(new[] { "--output", "out" }, "--connection is required")]
    [InlineData(new[] { "--connection", "Host=x" }, "--output is required")]
    [InlineData(new[] { "--connection", "Host=x", "--output", "out", "--bogus" }, "Unknown option '--bogus'")]
    [InlineData(new[] { "--connection", "--output", "out" }, "--connection needs a value")]
    [InlineData(new[] { "--connection", "Host=x", "--output", "out", "--group-by", "table" }, "--group-by takes 'cluster' or 'schema', not 'table'")]
    [InlineData(new[] { "--connection", "Host=x", "--output", "out", "--namespace", "My-Proxies" }, "--namespace 'My-Proxies' is not a C# namespace")]
    public void Parse_BadCommandLine_NamesTheProblem(string[] args, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => ScaffoldOptions.Parse(args));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}

namespace PlProxy.Client.Scaffold.Tests;

/// <summary>The plproxy command line: verbs, --help, --version, and bad input named before anything runs.</summary>
public sealed class ToolCommandLineTests
{
    [Fact]
    public async Task Help_ListsTheVerbs()
    {
        (int exitCode, string output, _) = await Tool.RunAsync(["--help"]);

        Assert.Equal(0, exitCode);
        Assert.All(new[] { "scaffold", "partconf", "split", "move", "verify", "status", "pgq" }, verb => Assert.Contains(verb, output, StringComparison.Ordinal));
        Assert.Contains("Usage:\n  plproxy [command] [options]", output.ReplaceLineEndings("\n"), StringComparison.Ordinal); // its own name, not the assembly's
    }

    [Fact]
    public async Task Version_PrintsTheToolsVersion()
    {
        (int exitCode, string output, _) = await Tool.RunAsync(["--version"]);

        Assert.Equal(0, exitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", output);
    }

    [Theory]
    [InlineData(new[] { "scaffold", "--output", "out" }, "--connection' is required")]
    [InlineData(new[] { "scaffold", "--connection", "Host=x" }, "--output' is required")]
    [InlineData(new[] { "scaffold", "--connection", "Host=x", "--output", "out", "--bogus" }, "--bogus")]
    [InlineData(new[] { "scaffold", "--connection", "Host=x", "--output", "out", "--group-by", "table" }, "Argument 'table' not recognized")]
    [InlineData(new[] { "scaffold", "--connection", "Host=x", "--output", "out", "--namespace", "My-Proxies" }, "--namespace 'My-Proxies' is not a C# namespace")]
    [InlineData(new[] { "partconf", "install", "--cluster", "users" }, "--proxy' is required")]
    [InlineData(new[] { "verify", "--proxy", "Host=x" }, "--cluster' is required")]
    [InlineData(new[] { "split", "--cluster", "users", "--to", "a", "b" }, "--proxy (a proxy database) or --config (an appsettings.json), one of them")]
    [InlineData(new[] { "split", "--proxy", "Host=x", "--config", "a.json", "--cluster", "users" }, "--proxy (a proxy database) or --config (an appsettings.json), one of them")]
    [InlineData(new[] { "split", "--config", "a.json", "--cluster", "users" }, "--config needs --config-out")]
    [InlineData(new[] { "split", "--proxy", "Host=x", "--config-out", "b.json", "--cluster", "users" }, "--config-out goes with --config")]
    [InlineData(new[] { "split", "--proxy", "Host=x", "--cluster", "users", "--fence-timeout", "0" }, "--fence-timeout must be a positive number of seconds, at most 3600")]
    [InlineData(new[] { "split", "--proxy", "Host=x", "--cluster", "users", "--other-tables", "drop" }, "Argument 'drop' not recognized")]
    [InlineData(new[] { "split", "--proxy", "Host=x", "--cluster", "users", "--parallel-copies", "0" }, "--parallel-copies must be positive")]
    [InlineData(new[] { "move", "--proxy", "Host=x", "--cluster", "users", "--partition", "1", "--to", "a", "--batch-size", "-5" }, "--batch-size must be positive")]
    [InlineData(new[] { "split", "--proxy", "Host=x", "--cluster", "users", "--max-pending-keys", "0" }, "--max-pending-keys must be positive")]
    [InlineData(new[] { "move", "--proxy", "Host=x", "--cluster", "users", "--partition", "1", "--to", "a", "--read-keys-every", "-1" }, "--read-keys-every must be a positive number of seconds, at most 3600")]
    [InlineData(new[] { "move", "--proxy", "Host=x", "--cluster", "users", "--to", "a" }, "--partition' is required")]
    [InlineData(new[] { "grant", "--cluster", "users", "--role", "app" }, "--proxy (a proxy database) or --config (an appsettings.json), one of them")]
    [InlineData(new[] { "verify", "--proxy", "Host=x", "--config", "a.json", "--cluster", "users", "--role", "app" }, "--proxy (a proxy database) or --config (an appsettings.json), one of them")]
    [InlineData(new[] { "pgq", "status", "--source", "Host=x", "--queue", "q" }, "--consumer' is required")]
    [InlineData(new[] { "pgq", "move", "--source", "Host=x", "--queue", "q", "--consumer", "c", "--target", "Host=y", "--exception-sleep", "-1" }, "--exception-sleep must be between 0 and 86400 seconds, not -1")]
    public async Task BadCommandLine_NamesTheProblemAndRunsNothing(string[] args, string message)
    {
        (int exitCode, _, string error) = await Tool.RunAsync(args);

        Assert.Equal(1, exitCode);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scaffold_OptionsInEqualsForm_AreRead()
    {
        string output = Directory.CreateTempSubdirectory("plproxy-tool-").FullName;

        (int exitCode, _, string error) = await Tool.RunAsync(["scaffold", "--connection=Host=127.0.0.1;Port=1;Timeout=1", $"--output={output}", "--namespace=My.Proxies", "--group-by=schema"]);

        Assert.Equal(2, exitCode); // parsed, then the proxy database could not be read
        Assert.Contains("plproxy scaffold: cannot read the proxy database", error, StringComparison.Ordinal);
    }
}

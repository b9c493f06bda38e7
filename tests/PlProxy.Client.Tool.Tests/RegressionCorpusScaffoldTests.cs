using Microsoft.CodeAnalysis;
using Npgsql;

namespace PlProxy.Client.Scaffold.Tests;

/// <summary>
/// Every function shape of PL/Proxy's own regression tests (the language issue's corpus) that PL/Proxy accepts, in one
/// proxy database: the scaffolded code compiles with the generator without a diagnostic, and every function is a
/// method or a line of the report.
/// </summary>
public sealed class RegressionCorpusScaffoldTests(ScaffoldFixture fixture) : IClassFixture<ScaffoldFixture>
{
    [Fact]
    public async Task RegressionCorpus_ScaffoldsToCodeThatCompiles_WithEveryFunctionAccountedFor()
    {
        CancellationToken token = TestContext.Current.CancellationToken;
        string connectionString = await fixture.Partitions.Server.CreateDatabaseAsync("scaffold_corpus");
        await fixture.Partitions.Server.ExecuteAsync("scaffold_corpus", "create extension plproxy;", token);
        await fixture.Partitions.Server.ExecuteAsync("scaffold_corpus", PlProxyRegressionCorpus.Setup, token);
        int accepted = 0;
        foreach (string sql in PlProxyRegressionCorpus.Load().Select(c => c.Sql))
        {
            await using var connection = new NpgsqlConnection(connectionString); // PL/Proxy's XX000 errors end the session
            await connection.OpenAsync(token);
            await using var create = new NpgsqlCommand(sql.Replace("create function", "create or replace function", StringComparison.OrdinalIgnoreCase), connection);
            try
            {
                await create.ExecuteNonQueryAsync(token);
                accepted++;
            }
            catch (PostgresException)
            {
                // PL/Proxy refuses this body (or its signature clashes with an earlier case): the oracle decides what exists.
            }
        }

        await using var database = NpgsqlDataSource.Create(connectionString);
        await using NpgsqlCommand count = database.CreateCommand("select count(*) from pg_proc p join pg_language l on l.oid = p.prolang where l.lanname = 'plproxy'");
        long functions = (long)(await count.ExecuteScalarAsync(token))!;
        string output = Directory.CreateTempSubdirectory("plproxy-tool-").FullName;
        try
        {
            var run = await ScaffoldFixture.ScaffoldAsync(["--connection", connectionString, "--output", output]);
            string[] sources = [.. Directory.GetFiles(output, "*.cs").Select(File.ReadAllText)];
            var compiled = GeneratorHarness.Run(sources);
            string report = await File.ReadAllTextAsync(Path.Combine(output, "scaffold-report.md"), token);

            Assert.Equal(0, run.ExitCode);
            Assert.True(functions >= 20, $"only {functions} corpus functions exist");
            Assert.Empty(compiled.GeneratorDiagnostics);
            Assert.Empty(compiled.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
            int rows = report.Split('\n').Count(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| Function", StringComparison.Ordinal) && !l.StartsWith("| Interface", StringComparison.Ordinal));
            Assert.Equal(functions, rows);
            TestContext.Current.TestOutputHelper?.WriteLine($"{accepted} of the corpus's CREATE FUNCTIONs accepted by PL/Proxy, {functions} functions in the proxy database; {run.Output.Trim()}");
            Assert.Contains($"plproxy functions: {functions};", report, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}

using PlProxy.Client.Scaffold.Tests.Resharding;
using PlProxy.Client.Testing;
using Resharding;

namespace PlProxy.Client.Scaffold.Tests.Verbs;

/// <summary>
/// Verbs that need transactions on the partition databases, where the map names pgBouncer in statement mode in front
/// of them (PL/Proxy's usual deployment), which refuses every transaction of more than one statement.
/// </summary>
[Collection(ReshardFixture.Collection)]
public sealed class DatabaseItselfTests(ReshardFixture fixture)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PartconfInstallAndGrant_OfAClusterBehindPgBouncerInStatementMode_RunOnTheDatabasesThemselves()
    {
        // Both failed before: "transaction blocks not allowed in statement pooling mode" (08P01).
        await using LocalPgBouncer bouncer = await LocalPgBouncer.StartAsync(fixture.Server, PgBouncerPoolMode.Statement, Token);
        DemoCluster cluster = await fixture.ClusterAsync(2, 0, Token);
        string proxyDatabase = new Npgsql.NpgsqlConnectionStringBuilder(cluster.Proxy).Database!;
        await fixture.Server.ExecuteAsync(proxyDatabase, $"update plproxy.cluster_map set connstr = replace(connstr, 'port={fixture.Server.Port}', 'port={bouncer.Port}')", Token);
        await fixture.Server.ExecuteAsync("postgres", "create role itself_app login", Token);

        string[] databases = [.. cluster.Partitions.Select(p => p.Split(' ')[2]["dbname=".Length..])];
        Assert.All(await ExecutableAsync(databases), Assert.True); // PUBLIC may execute every function until the grant

        (int installed, string installOutput, string installError) = await Tool.RunAsync(["partconf", "install", "--proxy", cluster.Proxy, "--cluster", "users"]);
        (int granted, string grantOutput, string grantError) = await Tool.RunAsync(["grant", "--proxy", cluster.Proxy, "--cluster", "users", "--role", "itself_app"]);
        (_, string status, _) = await Tool.RunAsync(["status", "--proxy", cluster.Proxy, "--cluster", "users"]);

        Assert.True(installed == 0, installOutput + installError);
        Assert.Contains("is reached through a connection pooler (\"transaction blocks not allowed in statement pooling mode\")", installOutput, StringComparison.Ordinal);
        Assert.Equal(2, status.Split('\n').Count(l => l.Contains("configuration version 2", StringComparison.Ordinal)));
        Assert.True(granted == 0, grantOutput + grantError);
        Assert.Contains("is reached through a connection pooler", grantOutput, StringComparison.Ordinal);
        Assert.All(await ExecutableAsync(databases), Assert.False); // record_write is no published function: revoked
    }

    // Whether itself_app may execute record_write on each database.
    private async Task<List<bool>> ExecutableAsync(string[] databases)
    {
        var executable = new List<bool>();
        foreach (string database in databases)
        {
            await using var direct = Npgsql.NpgsqlDataSource.Create(fixture.Server.ConnectionString(database));
            await using Npgsql.NpgsqlCommand may = direct.CreateCommand("select has_function_privilege('itself_app', 'record_write(text, text)', 'execute')");
            executable.Add((bool)(await may.ExecuteScalarAsync(Token))!);
        }

        return executable;
    }
}

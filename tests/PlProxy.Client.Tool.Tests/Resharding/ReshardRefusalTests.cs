using System.Diagnostics;
using Npgsql;
using PlProxy.Client.Partconf;
using PlProxy.Client.Testing;
using Resharding;

namespace PlProxy.Client.Scaffold.Tests.Resharding;

/// <summary>What <c>plproxy split</c> refuses, and how: a clear message, the old cluster serving, nothing left behind.</summary>
[Collection(ReshardFixture.Collection)]
public sealed class ReshardRefusalTests(ReshardFixture fixture)
{
    private static readonly string[] Keys = [.. Enumerable.Range(0, 200).Select(i => $"user{i}")];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Split_WithATableWithoutTrigger_RefusesUntilToldToCopyIt()
    {
        DemoCluster cluster = await fixture.ClusterAsync(2, 2, Token);
        foreach (string partition in cluster.Partitions)
        {
            await ExecuteAsync(partition, "create table settings (name text primary key, value text); insert into settings values ('greeting', 'hello');");
        }

        string[] split = ["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", .. cluster.Spares];
        (int refused, _, string error) = await Tool.RunAsync(split);

        Assert.Equal(2, refused);
        Assert.Contains("tables without a partconf.valid_hash trigger: settings", error, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed", error, StringComparison.Ordinal);
        Assert.Equal((0, 0), await fixture.LeftoversAsync(cluster, Token));
        Assert.Empty(await ReshardFixture.TablesAsync(cluster.Spares, Token));

        Assert.Equal(0, (await Tool.RunAsync([.. split, "--other-tables", "copy"])).ExitCode);
        foreach (string database in (string[])[.. cluster.Partitions, .. cluster.Spares])
        {
            Assert.Equal("hello", await ScalarAsync<string>(database, "select value from settings where name = 'greeting'"));
        }
    }

    [Fact]
    public async Task Split_OfAClusterDefinedByFunctionsOfItsOwn_PrintsWhatToRunAndChangesNothing()
    {
        DemoCluster cluster = await fixture.ClusterAsync(2, 2, Token);
        await ExecuteAsync(cluster.Proxy, $"""
            create table plproxy.my_partitions (nr int4, connstr text);
            insert into plproxy.my_partitions values (0, '{cluster.Partitions[0]}'), (1, '{cluster.Partitions[1]}');
            create or replace function plproxy.get_cluster_partitions(i_cluster text) returns setof text language sql as $$
                select connstr from plproxy.my_partitions order by nr $$;
            create or replace function plproxy.get_cluster_version(i_cluster text) returns int4 language sql as $$ select 7 $$;
            """, npgsql: true);

        (int exitCode, _, string error) = await Tool.RunAsync(["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", .. cluster.Spares]);

        Assert.Equal(2, exitCode);
        Assert.Contains("defines cluster 'users' with functions of its own", error, StringComparison.Ordinal);
        Assert.Contains($"  3: {cluster.Spares[1]}", error, StringComparison.Ordinal);
        Assert.Contains("NOTIFY plproxy_cluster_changed, 'users';", error, StringComparison.Ordinal);
        Assert.Equal((0, 0), await fixture.LeftoversAsync(cluster, Token));
        Assert.Empty(await ReshardFixture.TablesAsync(cluster.Spares, Token));
    }

    [Fact]
    public async Task Split_IntoADatabaseWhoseEncodingHashesTextOtherwise_SaysSoAndChangesNothing()
    {
        DemoCluster cluster = await fixture.ClusterAsync(2, 2, Token);
        string latin1 = $"latin1_spare_{Guid.NewGuid():N}"[..20];
        await fixture.Server.CreateDatabaseAsync(latin1, encoding: "LATIN1", cancellationToken: Token);
        string[] spares = [cluster.Spares[0], DemoCluster.Libpq(fixture.Server, latin1)];

        (int exitCode, _, string error) = await Tool.RunAsync(["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", .. spares]);

        Assert.Equal(2, exitCode);
        Assert.Contains($"{latin1} has encoding LATIN1, but the cluster's clients hash text as UTF8", error, StringComparison.Ordinal);
        Assert.Contains("would hash text keys with non-ASCII characters differently", error, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed", error, StringComparison.Ordinal);
        Assert.Equal((0, 0), await fixture.LeftoversAsync(cluster, Token));
        Assert.Empty(await ReshardFixture.TablesAsync(spares, Token));
    }

    [Fact]
    public async Task Split_IntoOneNewDatabaseNamedInTwoWays_SaysSoAndChangesNothing()
    {
        // 127.0.0.1 and localhost: one database. Its two copies would land together, the last partconf written would say
        // what it serves, and the cleanup would delete the other partition's rows.
        DemoCluster cluster = await fixture.ClusterAsync(2, 2, Token);
        string[] spares = [cluster.Spares[0], cluster.Spares[0].Replace($"host={fixture.Server.Host}", "host=localhost", StringComparison.Ordinal)];
        Assert.NotEqual(spares[0], spares[1]);

        (int exitCode, _, string error) = await Tool.RunAsync(["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", .. spares]);

        Assert.Equal(2, exitCode);
        Assert.Contains("are one database, named in two ways: every partition needs a database of its own (--to). Nothing was changed.", error, StringComparison.Ordinal);
        Assert.Equal((0, 0), await fixture.LeftoversAsync(cluster, Token));
        Assert.Empty(await ReshardFixture.TablesAsync(spares[..1], Token));
    }

    [Fact]
    public async Task Split_OfAClusterWhoseDatabasesAnotherClusterAlsoLists_SaysSoAndChangesNothing()
    {
        // users_ro reads the same databases through a map of its own: switched with users' alone, it would go on sending
        // the moved keys to their old databases, which delete those rows at the cleanup — reads finding nothing.
        DemoCluster cluster = await fixture.ClusterAsync(2, 2, Token);
        await ExecuteAsync(cluster.Proxy, "insert into plproxy.cluster_map select 'users_ro', 1, part_nr, connstr from plproxy.cluster_map where cluster_name = 'users'", npgsql: true);

        (int exitCode, _, string error) = await Tool.RunAsync(["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", .. cluster.Spares]);

        Assert.Equal(2, exitCode);
        Assert.Contains("cluster 'users_ro' of the proxy database also lists", error, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed", error, StringComparison.Ordinal);
        Assert.Equal((0, 0), await fixture.LeftoversAsync(cluster, Token));
        Assert.Empty(await ReshardFixture.TablesAsync(cluster.Spares, Token));
    }

    [Theory]
    [InlineData("max_logical_replication_workers", "2", "receives 2 new database(s): their copies run 2 subscription worker(s) until the switch and a table-sync worker beside them, 3 at once, but it has room for 2 (max_logical_replication_workers 2, max_worker_processes 48 less the replication launcher)")]
    [InlineData("max_worker_processes", "3", "receives 2 new database(s): their copies run 2 subscription worker(s) until the switch and a table-sync worker beside them, 3 at once, but it has room for 2 (max_logical_replication_workers 32, max_worker_processes 3 less the replication launcher)")]
    [InlineData("max_replication_slots", "1", "needs 2 replication slot(s) for the copies read from it until the switch, but its max_replication_slots is 1")]
    [InlineData("max_wal_senders", "1", "needs 2 WAL sender(s) for the copies read from it until the switch, but its max_wal_senders is 1")]
    public async Task Split_OnAServerShortOfReplicationWorkersSlotsOrSenders_SaysSoAndChangesNothing(string setting, string value, string expected)
    {
        // One server holding the two partitions and the two new databases. Too few workers: the two subscriptions' apply
        // workers take them all, and no table-sync worker could start the initial copies, which waited for ever; too few
        // slots or WAL senders: the copy stopped midway, to be resumed or aborted. Now refused before anything changes.
        LocalPostgresOptions few = DemoCluster.ServerOptions();
        few.Settings[setting] = value;
        await using LocalPostgresServer server = await LocalPostgresServer.StartAsync(few, Token);
        DemoCluster cluster = await DemoCluster.CreateAsync(server, $"few{setting.Split('_')[1]}{value}", 2, 2, Token);

        (int exitCode, _, string error) = await Tool.RunAsync(["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", .. cluster.Spares]).WaitAsync(TimeSpan.FromSeconds(60), Token);

        Assert.Equal(2, exitCode);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed", error, StringComparison.Ordinal);
        Assert.Empty(await ReshardFixture.TablesAsync(cluster.Spares, Token));
    }

    [Fact]
    public async Task Split_IntoADatabaseWhoseStringGivesAnSslKeysPassphrase_SaysSoWithoutItAndChangesNothing()
    {
        // pg_dump and psql, which copy the schema, take it only on their command line, where every user could read it.
        DemoCluster cluster = await fixture.ClusterAsync(2, 2, Token);

        (int exitCode, string output, string error) = await Tool.RunAsync(["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", cluster.Spares[0], cluster.Spares[1] + " sslpassword=S3CR3T"]);

        Assert.Equal(2, exitCode);
        Assert.Contains("gives the passphrase of an encrypted SSL key (SSL Password)", error, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed", error, StringComparison.Ordinal);
        Assert.DoesNotContain("S3CR3T", output + error, StringComparison.Ordinal);
        Assert.Equal((0, 0), await fixture.LeftoversAsync(cluster, Token));
        Assert.Empty(await ReshardFixture.TablesAsync(cluster.Spares, Token));
    }

    [Fact]
    public async Task Split_OfPartitionsWithoutLogicalWal_SaysSoAndChangesNothing()
    {
        await using LocalPostgresServer replicaWal = await LocalPostgresServer.StartAsync(cancellationToken: Token);
        DemoCluster cluster = await DemoCluster.CreateAsync(replicaWal, "nowal", 2, 2, Token);

        (int exitCode, _, string error) = await Tool.RunAsync(["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", .. cluster.Spares]);

        Assert.Equal(2, exitCode);
        Assert.Contains("nowal0 runs with wal_level = replica", error, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Split_WhenASourceServerGoesDownDuringTheCopy_StopsBeforeTheSwitchAndAbortsCleanly()
    {
        // Partition 1 lives on a server of its own, stopped once the copy has begun.
        await using LocalPostgresServer second = await LocalPostgresServer.StartAsync(DemoCluster.ServerOptions(), Token);
        LocalPostgresServer first = fixture.Server;
        foreach (string name in (string[])["down0", "down2", "down3"])
        {
            await first.CreateDatabaseAsync(name, cancellationToken: Token);
        }

        await second.CreateDatabaseAsync("down1", cancellationToken: Token);
        string[] partitions = [DemoCluster.Libpq(first, "down0"), DemoCluster.Libpq(second, "down1")];
        string[] spares = [DemoCluster.Libpq(first, "down2"), DemoCluster.Libpq(first, "down3")];
        string proxy = await ProxyDatabases.CreateAsync(first, "down_proxy", "users", partitions, Token);
        await PartconfDatabase.InstallClusterAsync(proxy, "users", Token);
        foreach (string partition in partitions)
        {
            await ExecuteAsync(partition, DemoCluster.PartitionSchema);
        }

        await ReshardFixture.SeedAsync(partitions, Keys, Token);
        string[] split = ["split", "--proxy", proxy, "--cluster", "users", "--catch-up-timeout", "3", "--to", .. spares];

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in (string[])[Path.Combine(AppContext.BaseDirectory, "PlProxy.Client.Tool.dll"), .. split])
        {
            start.ArgumentList.Add(argument);
        }

        using Process tool = Process.Start(start)!;
        Task<string> errors = tool.StandardError.ReadToEndAsync(Token);
        while (await tool.StandardOutput.ReadLineAsync(Token) is { } line && !line.Contains("plproxy split: catch-up:", StringComparison.Ordinal))
        {
        }

        await second.StopAsync(Token);
        await tool.WaitForExitAsync(Token).WaitAsync(TimeSpan.FromSeconds(60), Token);
        string error = await errors;

        Assert.Equal(2, tool.ExitCode);
        Assert.Contains("stopped before the switch; the cluster serves as before", error, StringComparison.Ordinal);
        Assert.Equal(partitions, await ReshardFixture.MapAsync(proxy, Token));

        await second.RestartAsync(Token);
        (int aborted, string output, string abortError) = await Tool.RunAsync([.. split, "--abort"]);
        Assert.True(aborted == 0, output + abortError);
        Assert.Equal(Keys.Length, (await ReshardFixture.RowsAsync(partitions, Token)).Count);
        Assert.Empty(await ReshardFixture.TablesAsync(spares, Token));
        Assert.Equal(0, (await Tool.RunAsync(["verify", "--proxy", proxy, "--cluster", "users"])).ExitCode);
    }

    [Fact]
    public async Task Split_WhenATransactionBegunBeforeTheFenceDoesNotEnd_LiftsTheFenceAndSwitchesNothing()
    {
        DemoCluster cluster = await fixture.ClusterAsync(2, 2, Token);
        string[] split = ["split", "--proxy", cluster.Proxy, "--cluster", "users", "--fence-timeout", "1.5", "--to", .. cluster.Spares];
        await using var partition0 = NpgsqlDataSource.Create(ReshardFixture.ConnectionString(cluster.Partitions[0]));
        await using NpgsqlConnection open = await partition0.OpenConnectionAsync(Token);
        await using NpgsqlTransaction transaction = await open.BeginTransactionAsync(Token);
        await using (var statement = new NpgsqlCommand("select 1", open, transaction))
        {
            await statement.ExecuteNonQueryAsync(Token); // idle in transaction from now on
        }

        (int exitCode, _, string error) = await Tool.RunAsync(split);

        Assert.Equal(2, exitCode);
        Assert.Contains("transactions begun before the fence are still open", error, StringComparison.Ordinal);
        Assert.Contains("stopped before the switch; the cluster serves as before", error, StringComparison.Ordinal);
        Assert.Equal(cluster.Partitions, await ReshardFixture.MapAsync(cluster.Proxy, Token));
        foreach (string partition in cluster.Partitions)
        {
            Assert.Equal("{}/2", await ScalarAsync<string>(partition, "select fenced_nrs::text || '/' || part_count from partconf.conf"));
        }

        await transaction.CommitAsync(Token);
        Assert.Equal(0, (await Tool.RunAsync(split)).ExitCode); // resumed
    }

    private static async Task ExecuteAsync(string database, string sql, bool npgsql = false)
    {
        await using var source = NpgsqlDataSource.Create(npgsql ? database : ReshardFixture.ConnectionString(database));
        await using NpgsqlCommand command = source.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(Token);
    }

    private static async Task<T> ScalarAsync<T>(string database, string sql)
    {
        await using var source = NpgsqlDataSource.Create(ReshardFixture.ConnectionString(database));
        await using NpgsqlCommand command = source.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(Token))!;
    }
}

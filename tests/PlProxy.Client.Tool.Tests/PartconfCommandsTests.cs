using PlProxy.Client.Hashing;
using PlProxy.Client.Partconf;
using PlProxy.Client.Testing;

namespace PlProxy.Client.Scaffold.Tests;

/// <summary><c>plproxy status</c>, <c>partconf install</c> and <c>verify</c> on two partitions defined by a proxy database.</summary>
public sealed class PartconfCommandsTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task InstallThenVerify_ReportsEachDatabase_AndExitsOneOnlyOnceARowIsMisplaced()
    {
        await using LocalPartitions partitions = await LocalPartitions.StartAsync(2, "create table accounts (username text primary key);", prefix: "toolpc", cancellationToken: Token);
        LocalPostgresServer server = partitions.Server;
        string proxy = await ProxyDatabases.CreateAsync(server, "toolpc_proxy", "users", [.. partitions.Databases.Select(d => ProxyDatabases.Libpq(server, d))], Token);

        (int before, string beforeOutput, _) = await Tool.RunAsync(["status", "--proxy", proxy, "--cluster", "users"]);
        Assert.Equal(0, before);
        Assert.Contains("cluster users: version 1", beforeOutput, StringComparison.Ordinal);
        Assert.Contains($"{partitions.Databases[0]} (partitions 0 of 2): no partconf (plproxy partconf install)", beforeOutput, StringComparison.Ordinal);

        (int installed, string installOutput, string installError) = await Tool.RunAsync(["partconf", "install", "--proxy", proxy, "--cluster", "users"]);
        Assert.True(installed == 0, installError);
        Assert.Contains("database 0: partitions 0 of 2", installOutput, StringComparison.Ordinal);
        Assert.Contains("database 1: partitions 1 of 2", installOutput, StringComparison.Ordinal);

        string[] keys = [.. Enumerable.Range(0, 50).Select(i => $"user{i}")];
        for (int p = 0; p < 2; p++)
        {
            int partition = p;
            await server.ExecuteAsync(partitions.Databases[p], $"""
                create trigger accounts_partition before insert on accounts for each row execute function partconf.valid_hash('username');
                insert into accounts select unnest(array['{string.Join("','", keys.Where(k => Partitions.IndexOf(PgHash.HashText(k), 2) == partition))}']);
                """, Token);
        }

        (_, string afterOutput, _) = await Tool.RunAsync(["status", "--proxy", proxy, "--cluster", "users"]);
        Assert.Contains($"{partitions.Databases[1]} (partitions 1 of 2): partconf {PartconfDatabase.ScriptVersion}, partitions 1 of 2, mask, modern hash, db_code 1, fenced {{}}, configuration version 1", afterOutput, StringComparison.Ordinal);

        (int clean, string cleanOutput, _) = await Tool.RunAsync(["verify", "--proxy", proxy, "--cluster", "users"]);
        Assert.Equal(0, clean);
        Assert.Contains("every row of 2 partitioned tables is on its partition", cleanOutput, StringComparison.Ordinal);

        string stray = Enumerable.Range(0, 100).Select(i => $"stray{i}").First(k => Partitions.IndexOf(PgHash.HashText(k), 2) == 1);
        await server.ExecuteAsync(partitions.Databases[0], $"alter table accounts disable trigger accounts_partition; insert into accounts values ('{stray}');", Token);

        (int dirty, string dirtyOutput, _) = await Tool.RunAsync(["verify", "--proxy", proxy, "--cluster", "users"]);
        Assert.Equal(1, dirty);
        Assert.Contains("1 rows are on a database the published map does not assign their key to", dirtyOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_OfDatabasesThatDoNotFitThePublishedMap_ExitsOneNamingEachDifference()
    {
        // Two partitions with their rows and partconf; then a map of four is published (as a split undone under its
        // switch would leave it): partitions 2 and 3 on databases without tables or partconf, half of the rows of
        // partitions 0 and 1 now belonging there.
        await using LocalPartitions partitions = await LocalPartitions.StartAsync(4, prefix: "toolmap", cancellationToken: Token);
        LocalPostgresServer server = partitions.Server;
        string[] libpq = [.. partitions.Databases.Select(d => ProxyDatabases.Libpq(server, d))];
        string proxy = await ProxyDatabases.CreateAsync(server, "toolmap_proxy", "users", libpq[..2], Token);
        Assert.Equal(0, (await Tool.RunAsync(["partconf", "install", "--proxy", proxy, "--cluster", "users"])).ExitCode);
        string[] keys = [.. Enumerable.Range(0, 200).Select(i => $"user{i}")];
        for (int p = 0; p < 2; p++)
        {
            int partition = p;
            await server.ExecuteAsync(partitions.Databases[p], $"""
                create table accounts (username text primary key);
                create trigger accounts_partition before insert on accounts for each row execute function partconf.valid_hash('username');
                insert into accounts select unnest(array['{string.Join("','", keys.Where(k => Partitions.IndexOf(PgHash.HashText(k), 2) == partition))}']);
                """, Token);
        }

        Assert.Equal(0, (await Tool.RunAsync(["verify", "--proxy", proxy, "--cluster", "users"])).ExitCode);
        await ProxyDatabases.PublishMapAsync(proxy, "users", 2, libpq, Token);

        (int exitCode, string output, _) = await Tool.RunAsync(["verify", "--proxy", proxy, "--cluster", "users"]);

        Assert.Equal(1, exitCode);
        Assert.Contains($"{partitions.Databases[0]}'s partconf serves partitions 0 of 2; the published map assigns it partitions 0 of 4.", output, StringComparison.Ordinal);
        Assert.Contains($"{partitions.Databases[2]} has no partconf configuration; the map assigns it partitions 2 of 4", output, StringComparison.Ordinal);
        Assert.Contains($"{partitions.Databases[3]} (partitions 3 of 4) lacks the cluster's partitioned table(s) accounts", output, StringComparison.Ordinal);
        long moved = keys.Count(k => Partitions.IndexOf(PgHash.HashText(k), 4) >= 2);
        Assert.Contains($"{moved} rows are on a database the published map does not assign their key to", output, StringComparison.Ordinal);
        Assert.DoesNotContain("every row", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_OfAClusterWithoutPartitionedTables_ExitsOneSayingNothingWasChecked()
    {
        await using LocalPartitions partitions = await LocalPartitions.StartAsync(2, prefix: "toolnone", cancellationToken: Token);
        string proxy = await ProxyDatabases.CreateAsync(partitions.Server, "toolnone_proxy", "users", [.. partitions.Databases.Select(d => ProxyDatabases.Libpq(partitions.Server, d))], Token);
        Assert.Equal(0, (await Tool.RunAsync(["partconf", "install", "--proxy", proxy, "--cluster", "users"])).ExitCode);

        (int exitCode, string output, _) = await Tool.RunAsync(["verify", "--proxy", proxy, "--cluster", "users"]);

        Assert.Equal(1, exitCode);
        Assert.Contains("No database of cluster users has a partitioned table (a table with a partconf.valid_hash trigger): nothing was checked.", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_OfAProxyDatabaseThatCannotBeReached_ExitsTwoNamingTheError()
    {
        (int exitCode, _, string error) = await Tool.RunAsync(["verify", "--proxy", "Host=127.0.0.1;Port=1;Timeout=1", "--cluster", "users"]);

        Assert.Equal(2, exitCode);
        Assert.StartsWith("plproxy verify: ", error, StringComparison.Ordinal);
    }
}

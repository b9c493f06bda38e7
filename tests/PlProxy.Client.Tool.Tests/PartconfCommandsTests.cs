using System.Text.Json;
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

        // The same reports as JSON, for scripts: one document, the same exit codes.
        (int jsonExit, string jsonOutput, _) = await Tool.RunAsync(["verify", "--proxy", proxy, "--cluster", "users", "--json"]);
        Assert.Equal(1, jsonExit);
        using (JsonDocument report = JsonDocument.Parse(jsonOutput))
        {
            Assert.False(report.RootElement.GetProperty("passed").GetBoolean());
            Assert.Equal(1, report.RootElement.GetProperty("misplaced").GetInt64());
            JsonElement[] tables = [.. report.RootElement.GetProperty("tables").EnumerateArray()];
            Assert.Equal(2, tables.Length);
            JsonElement first = tables.Single(t => t.GetProperty("database").GetString() == partitions.Databases[0]);
            Assert.Equal(1, first.GetProperty("misplaced").GetInt64());
            Assert.Equal("accounts", first.GetProperty("table").GetString());
            Assert.Equal([0], first.GetProperty("partitions").EnumerateArray().Select(p => p.GetInt32()));
        }

        (int statusExit, string statusJson, _) = await Tool.RunAsync(["status", "--proxy", proxy, "--cluster", "users", "--json"]);
        Assert.Equal(0, statusExit);
        using (JsonDocument status = JsonDocument.Parse(statusJson))
        {
            Assert.Equal("users", status.RootElement.GetProperty("cluster").GetString());
            Assert.Equal("1", status.RootElement.GetProperty("version").GetString());
            Assert.Equal(JsonValueKind.Null, status.RootElement.GetProperty("operation").ValueKind);
            JsonElement database = status.RootElement.GetProperty("databases").EnumerateArray().Single(d => d.GetProperty("database").GetString() == partitions.Databases[1]);
            Assert.Equal(2, database.GetProperty("partitionCount").GetInt32());
            Assert.StartsWith($"partconf {PartconfDatabase.ScriptVersion}, partitions 1 of 2", database.GetProperty("partconf").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ConnectionStringGivenByName_IsReadFromTheEnvironmentAndAppSettings_AndAnUnknownNameIsRefused()
    {
        await using LocalPartitions partitions = await LocalPartitions.StartAsync(2, prefix: "toolname", cancellationToken: Token);
        LocalPostgresServer server = partitions.Server;
        string proxy = await ProxyDatabases.CreateAsync(server, "toolname_proxy", "users", [.. partitions.Databases.Select(d => ProxyDatabases.Libpq(server, d))], Token);
        string name = $"ToolTest{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable($"ConnectionStrings__{name}", proxy);
        try
        {
            (int exitCode, string output, string error) = await Tool.RunAsync(["status", "--proxy", $"Name={name}", "--cluster", "users"]);
            Assert.True(exitCode == 0, error);
            Assert.Contains("cluster users: version 1", output, StringComparison.Ordinal);

            (int equalsForm, string equalsOutput, _) = await Tool.RunAsync(["status", $"--proxy=Name={name}", "--cluster", "users"]);
            Assert.Equal(0, equalsForm);
            Assert.Contains("cluster users: version 1", equalsOutput, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable($"ConnectionStrings__{name}", null);
        }

        (int unknown, _, string unknownError) = await Tool.RunAsync(["status", "--proxy", $"Name={name}", "--cluster", "users"]);
        Assert.Equal(1, unknown);
        Assert.Contains($"Name={name}: no connection string of that name", unknownError, StringComparison.Ordinal);

        string directory = Directory.CreateTempSubdirectory("plproxy-name-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), $$"""{ "ConnectionStrings": { "Proxy": {{System.Text.Json.JsonSerializer.Serialize(proxy + ";Password=S3CR3T-FROM-FILE")}} } }""", Token);
        string[] resolved = PlProxy.Client.Tool.Verbs.NamedConnectionStrings.Resolve(["status", "--proxy", "Name=Proxy", "--cluster", "Name=Proxy"], directory, new Dictionary<string, string>());
        Assert.Equal(["status", "--proxy", proxy + ";Password=S3CR3T-FROM-FILE", "--cluster", "Name=Proxy"], resolved); // only connection options are looked up
        string[] overridden = PlProxy.Client.Tool.Verbs.NamedConnectionStrings.Resolve(["status", "--proxy", "Name=Proxy"], directory, new Dictionary<string, string> { ["ConnectionStrings__Proxy"] = "Host=from-env" });
        Assert.Equal("Host=from-env", overridden[2]); // the environment wins over appsettings.json, as in a .NET host
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
    public async Task Verify_OfADatabaseWhoseEncodingHashesTextUnlikeTheClients_ExitsOneNamingIt()
    {
        await using LocalPartitions partitions = await LocalPartitions.StartAsync(1, prefix: "toolenc", cancellationToken: Token);
        LocalPostgresServer server = partitions.Server;
        await server.CreateDatabaseAsync("toolenc_latin1", encoding: "LATIN1", cancellationToken: Token);
        string[] databases = [partitions.Databases[0], "toolenc_latin1"];
        string proxy = await ProxyDatabases.CreateAsync(server, "toolenc_proxy", "users", [.. databases.Select(d => ProxyDatabases.Libpq(server, d))], Token);
        Assert.Equal(0, (await Tool.RunAsync(["partconf", "install", "--proxy", proxy, "--cluster", "users"])).ExitCode);
        foreach (string database in databases)
        {
            await server.ExecuteAsync(database, "create table accounts (username text primary key); create trigger accounts_partition before insert on accounts for each row execute function partconf.valid_hash('username');", Token);
        }

        (int exitCode, string output, _) = await Tool.RunAsync(["verify", "--proxy", proxy, "--cluster", "users"]);

        Assert.Equal(1, exitCode);
        Assert.Contains("toolenc_latin1 has encoding LATIN1, but the cluster's clients hash text as UTF8 (its proxy database's encoding)", output, StringComparison.Ordinal);
        Assert.DoesNotContain($"{partitions.Databases[0]} has encoding", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_OfAProxyDatabaseThatCannotBeReached_ExitsTwoNamingTheError()
    {
        (int exitCode, _, string error) = await Tool.RunAsync(["verify", "--proxy", "Host=127.0.0.1;Port=1;Timeout=1", "--cluster", "users"]);

        Assert.Equal(2, exitCode);
        Assert.StartsWith("plproxy verify: ", error, StringComparison.Ordinal);
    }
}

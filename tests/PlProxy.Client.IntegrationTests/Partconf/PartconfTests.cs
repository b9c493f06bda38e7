using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Hashing;
using PlProxy.Client.Partconf;

namespace PlProxy.Client.IntegrationTests.Partconf;

/// <summary>
/// partconf on real partition databases: check_hash and the valid_hash trigger accept exactly the keys the client's
/// own mapping (<see cref="Partitions"/> over <see cref="PgHash"/>) sends to each database, for both hash flavours and
/// both mappings; global_id is unique across a cluster under concurrent use.
/// </summary>
[Collection(PartconfFixture.Collection)]
public sealed class PartconfTests(PartconfFixture fixture)
{
    private static readonly string[] Keys = [
        .. Enumerable.Range(0, 2000).Select(i => $"user{i}"),
        .. Enumerable.Range(0, 60).Select(i => new string('k', i)), // every lookup2 tail length and block count
        .. Enumerable.Range(0, 200).Select(i => $"ключ-{i}-ü-日本-{i * 7919}"),
    ];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false, PlProxyHashFlavor.Modern, 4)]
    [InlineData(false, PlProxyHashFlavor.Legacy83, 4)]
    [InlineData(true, PlProxyHashFlavor.Modern, 3)]
    [InlineData(true, PlProxyHashFlavor.Legacy83, 3)]
    public async Task CheckHash_OnEachDatabase_AcceptsExactlyTheKeysTheClientRoutesThere(bool modular, PlProxyHashFlavor flavor, int count)
    {
        NpgsqlDataSource[] databases = await fixture.ClusterAsync(count, p => new PartconfSettings("users", [p], count, p) { ModularMapping = modular, HashFlavor = flavor }, Token);

        for (int p = 0; p < count; p++)
        {
            HashSet<string> expected = [.. Keys.Where(k => PartitionOf(k, count, modular, flavor) == p)];
            HashSet<string> owned = await PartconfFixture.OwnedAsync(databases[p], Keys, Token);
            Assert.True(expected.SetEquals(owned), $"partition {p}: {expected.Except(owned).Count()} keys refused, {owned.Except(expected).Count()} accepted wrongly");
        }
    }

    [Fact]
    public async Task CheckHash_ForAnotherDatabasesKey_FailsWithPX001NamingClusterHashAndPartitions()
    {
        NpgsqlDataSource[] databases = await fixture.ClusterAsync(1, _ => new PartconfSettings("users", [0, 1], 4, 0), Token);
        int hash = Keys.Select(PgHash.HashText).First(h => Partitions.IndexOf(h, 4) == 3);

        var error = await Assert.ThrowsAsync<PostgresException>(() => CheckHashAsync(databases[0], hash));

        Assert.Equal(PlProxySqlStates.WrongPartition, error.SqlState);
        Assert.Contains($"hash {hash} of cluster users belongs to partition 3", error.MessageText, StringComparison.Ordinal);
        Assert.Contains("(partitions 0, 1)", error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckHash_OfAFencedPartition_FailsWithPX001UntilTheFenceIsLifted()
    {
        NpgsqlDataSource[] databases = await fixture.ClusterAsync(1, _ => new PartconfSettings("users", [0, 1], 2, 0), Token);
        int hash = Keys.Select(PgHash.HashText).First(h => Partitions.IndexOf(h, 2) == 1);
        await CheckHashAsync(databases[0], hash);

        await ExecuteAsync(databases[0], "update partconf.conf set fenced_nrs = '{1}'");
        var error = await Assert.ThrowsAsync<PostgresException>(() => CheckHashAsync(databases[0], hash));
        await ExecuteAsync(databases[0], "update partconf.conf set fenced_nrs = '{}'");

        Assert.Equal(PlProxySqlStates.WrongPartition, error.SqlState);
        Assert.Contains("being moved", error.MessageText, StringComparison.Ordinal);
        await CheckHashAsync(databases[0], hash);
    }

    [Fact]
    public async Task CheckHashAndValidHash_OfANullKey_FailWithTheirOwnStateNobodyResends()
    {
        NpgsqlDataSource[] databases = await fixture.ClusterAsync(1, _ => new PartconfSettings("users", [0], 1, 0), Token);
        await ExecuteAsync(databases[0], """
            create table accounts (username text);
            create trigger accounts_partition before insert on accounts for each row execute function partconf.valid_hash('username');
            """);

        var check = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(databases[0], "select partconf.check_hash(null)"));
        var row = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(databases[0], "insert into accounts values (null)"));

        Assert.Equal((PlProxySqlStates.NullKey, PlProxySqlStates.NullKey), (check.SqlState, row.SqlState));
        Assert.NotEqual(PlProxySqlStates.WrongPartition, PlProxySqlStates.NullKey);
        Assert.Contains("the hash is NULL (cluster users): it belongs to no partition", check.MessageText, StringComparison.Ordinal);
        Assert.Contains("the key column username is NULL", row.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryPartconfEntry_OnADatabaseNeverConfigured_FailsWithPX000WritingNothingEvenForConcurrentCallers()
    {
        // The script installed (as a migration would run it) but partconf.configure never called.
        string connectionString = await fixture.Server.CreateDatabaseAsync("never_configured", cancellationToken: Token);
        await using var database = NpgsqlDataSource.Create(connectionString);
        await ExecuteAsync(database, PartconfDatabase.Script);
        await ExecuteAsync(database, """
            create table accounts (username text);
            create trigger accounts_partition before insert on accounts for each row execute function partconf.valid_hash('username');
            """);
        string[] statements = ["select partconf.check_hash(42)", "insert into accounts values ('alice')", "select partconf.global_id()", "select partconf.fence('{0}', 1, 60)"];

        PostgresException[] errors = await Task.WhenAll(Enumerable.Range(0, 32).Select(i => Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(database, statements[i % statements.Length]))))
            .WaitAsync(TimeSpan.FromSeconds(60), Token);

        Assert.All(errors, e => Assert.Equal(PlProxySqlStates.PartconfNotConfigured, e.SqlState));
        Assert.All(errors, e => Assert.Contains("partconf is not configured on database never_configured", e.MessageText, StringComparison.Ordinal));
        Assert.Equal(0L, await ScalarAsync<long>(database, "select count(*) from accounts"));
        Assert.Equal(0L, await ScalarAsync<long>(database, "select count(*) from partconf.conf"));
    }

    [Theory]
    [InlineData("'{0}', 0, 60", "the partition count must be positive, not 0")]
    [InlineData("'{0}', 3, 60", "cluster users maps by mask, so its partition count is a power of two, not 3")]
    [InlineData("'{4}', 4, 60", "the partitions to fence ({4}) must be some of 0..3 under count 4")]
    [InlineData("'{-1}', 4, 60", "the partitions to fence ({-1}) must be some of 0..3 under count 4")]
    [InlineData("'{}', 4, 60", "the partitions to fence ({}) must be some of 0..3 under count 4")]
    [InlineData("'{1,null}', 4, 60", "must be some of 0..3 under count 4")]
    [InlineData("'{1}', 4, 0", "the fence needs a positive lifetime in seconds, not 0")]
    public async Task Fence_WithArgumentsThatFenceNothing_IsRefusedAndChangesNothing(string arguments, string message)
    {
        NpgsqlDataSource[] databases = await fixture.ClusterAsync(1, _ => new PartconfSettings("users", [0, 1], 2, 0), Token);
        long version = await ScalarAsync<long>(databases[0], "select version from partconf.conf");

        var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(databases[0], $"select partconf.fence({arguments})"));

        Assert.Equal(PostgresErrorCodes.InvalidParameterValue, error.SqlState);
        Assert.Contains(message, error.MessageText, StringComparison.Ordinal);
        Assert.Equal((version, "{}"), (await ScalarAsync<long>(databases[0], "select version from partconf.conf"), await ScalarAsync<string>(databases[0], "select fenced_nrs::text from partconf.conf")));
    }

    [Fact]
    public async Task Fence_OnAModularCluster_TakesACountThatIsNoPowerOfTwo()
    {
        NpgsqlDataSource[] databases = await fixture.ClusterAsync(1, _ => new PartconfSettings("users", [0, 1, 2], 3, 0) { ModularMapping = true }, Token);

        await ExecuteAsync(databases[0], "select partconf.fence('{2}', 3, 60)");

        Assert.Equal("{2}/3", await ScalarAsync<string>(databases[0], "select fenced_nrs::text || '/' || fence_count from partconf.conf"));
    }

    [Fact]
    public async Task Fence_UnderTheDoubledCount_RefusesExactlyTheKeysASplitMoves()
    {
        // Partition 1 of 2 splits: its keys that map to 3 of 4 move, those that map to 1 of 4 stay.
        NpgsqlDataSource[] databases = await fixture.ClusterAsync(1, _ => new PartconfSettings("users", [1], 2, 0), Token);
        string[] partition1 = [.. Keys.Where(k => Partitions.IndexOf(PgHash.HashText(k), 2) == 1)];

        await ExecuteAsync(databases[0], "select partconf.fence('{3}', 4, 60)");
        HashSet<string> accepted = await PartconfFixture.OwnedAsync(databases[0], partition1, Token);

        Assert.True(accepted.SetEquals(partition1.Where(k => Partitions.IndexOf(PgHash.HashText(k), 4) == 1)));
        Assert.NotEmpty(accepted);
    }

    [Fact]
    public async Task Fence_PastItsDeadline_RefusesNothing()
    {
        NpgsqlDataSource[] databases = await fixture.ClusterAsync(1, _ => new PartconfSettings("users", [0], 1, 0), Token);
        int hash = Keys.Select(PgHash.HashText).First();

        await ExecuteAsync(databases[0], "select partconf.fence('{0}', 1, 0.3)");
        await Assert.ThrowsAsync<PostgresException>(() => CheckHashAsync(databases[0], hash));
        await Task.Delay(400, Token);

        await CheckHashAsync(databases[0], hash); // the tool that raised it died: the keys are served again
    }

    [Fact]
    public async Task Configure_AfterAFence_LiftsIt()
    {
        NpgsqlDataSource[] databases = await fixture.ClusterAsync(1, _ => new PartconfSettings("users", [0], 1, 0), Token);
        await ExecuteAsync(databases[0], "select partconf.fence('{0}', 1, 60)");

        await ExecuteAsync(databases[0], "select partconf.configure('users', '{0}', 1, 0)");

        await CheckHashAsync(databases[0], Keys.Select(PgHash.HashText).First());
    }

    [Fact]
    public async Task ValidHash_OnATextKey_StoresOnlyTheRowsTheClientRoutesToItsDatabase()
    {
        NpgsqlDataSource[] databases = await fixture.ClusterAsync(4, p => new PartconfSettings("users", [p], 4, p), Token);

        for (int p = 0; p < 4; p++)
        {
            await ExecuteAsync(databases[p], """
                create table accounts (username text primary key, balance numeric not null default 0);
                create trigger accounts_partition before insert or update on accounts for each row execute function partconf.valid_hash('username');
                """);
            HashSet<string> stored = [.. await InsertEachAsync(databases[p], "insert into accounts (username) values ($1)", Keys, "select username from accounts")];

            Assert.True(stored.SetEquals(Keys.Where(k => Partitions.IndexOf(PgHash.HashText(k), 4) == p)), $"partition {p}");
        }
    }

    [Fact]
    public async Task ValidHash_WithANamedHashFunction_HashesTheColumnWithIt()
    {
        NpgsqlDataSource[] databases = await fixture.ClusterAsync(2, p => new PartconfSettings("orders", [p], 2, p), Token);
        long[] ids = [.. Enumerable.Range(-500, 1000).Select(i => (long)i * 1_000_003)];

        for (int p = 0; p < 2; p++)
        {
            await ExecuteAsync(databases[p], """
                create table orders (id int8 primary key);
                create trigger orders_partition before insert on orders for each row execute function partconf.valid_hash('id', 'hashint8');
                """);
            HashSet<string> stored = [.. await InsertEachAsync(databases[p], "insert into orders values ($1::text::int8)", [.. ids.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))], "select id::text from orders")];

            Assert.True(stored.SetEquals(ids.Where(i => Partitions.IndexOf(PgHash.HashInt8(i), 2) == p).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))), $"partition {p}");
        }
    }

    [Fact]
    public async Task LegacyHashText_InPlpgsql_EqualsTheManagedPostgreSql83Hash()
    {
        NpgsqlDataSource[] databases = await fixture.ClusterAsync(1, _ => new PartconfSettings("old", [0], 1, 0) { HashFlavor = PlProxyHashFlavor.Legacy83 }, Token);
        await using NpgsqlCommand command = databases[0].CreateCommand("select partconf.legacy_hashtext(k) from unnest($1) with ordinality u(k, n) order by n");
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = Keys });
        var hashes = new List<int>();
        await using (NpgsqlDataReader reader = await command.ExecuteReaderAsync(Token))
        {
            while (await reader.ReadAsync(Token))
            {
                hashes.Add(reader.GetInt32(0));
            }
        }

        Assert.Equal(Keys.Select(PgHash.LegacyHashText), hashes);
    }

    [Fact]
    public async Task GlobalId_AcrossEightDatabasesUnderConcurrentUse_IsUniqueAndRisesPerDatabase()
    {
        NpgsqlDataSource[] databases = await fixture.ClusterAsync(8, p => new PartconfSettings("ids", [p], 8, p), Token);

        long[][] batches = await Task.WhenAll(Enumerable.Range(0, 24).Select(worker => Task.Run(async () =>
        {
            var ids = new List<long>();
            for (int i = 0; i < 100; i++)
            {
                await using NpgsqlCommand command = databases[worker % 8].CreateCommand("select partconf.global_id()");
                ids.Add((long)(await command.ExecuteScalarAsync(Token))!);
            }

            return ids.ToArray();
        }, Token)));

        long[] all = [.. batches.SelectMany(b => b)];
        Assert.Equal(all.Length, all.Distinct().Count());
        for (int worker = 0; worker < batches.Length; worker++)
        {
            Assert.All(batches[worker], id => Assert.Equal(worker % 8, id % 1024));
            Assert.Equal(batches[worker].Order(), batches[worker]); // a sequence per database: rising for each caller
        }
    }

    [Fact]
    public async Task Install_Again_KeepsTheIdSequenceAndRaisesTheVersion()
    {
        NpgsqlDataSource[] databases = await fixture.ClusterAsync(1, _ => new PartconfSettings("users", [0], 2, 5), Token);
        long before = await ScalarAsync<long>(databases[0], "select partconf.global_id()");

        long version = await PartconfDatabase.InstallAsync(databases[0], new PartconfSettings("users", [0, 1], 2, 5), Token);

        Assert.Equal(2, version);
        Assert.True(await ScalarAsync<long>(databases[0], "select partconf.global_id()") > before);
        Assert.Equal(PartconfDatabase.ScriptVersion, await ScalarAsync<int>(databases[0], "select partconf.script_version()"));
        int[] partitions = await ScalarAsync<int[]>(databases[0], "select part_nrs from partconf.conf");
        Assert.Equal(new[] { 0, 1 }, partitions);
    }

    [Fact]
    public async Task CheckHash_WhereOnlyTheScriptRan_FailsWithPX000()
    {
        string name = $"pcbare{Guid.NewGuid():N}";
        await using var database = NpgsqlDataSource.Create(await fixture.Server.CreateDatabaseAsync(name, cancellationToken: Token));
        await ExecuteAsync(database, PartconfDatabase.Script);

        var error = await Assert.ThrowsAsync<PostgresException>(() => CheckHashAsync(database, 42));

        Assert.Equal(PlProxySqlStates.PartconfNotConfigured, error.SqlState);
    }

    private static int PartitionOf(string key, int count, bool modular, PlProxyHashFlavor flavor)
    {
        int hash = flavor == PlProxyHashFlavor.Legacy83 ? PgHash.LegacyHashText(key) : PgHash.HashText(key);
        return modular ? Partitions.ModularIndexOf(hash, count) : Partitions.IndexOf(hash, count);
    }

    private static async Task CheckHashAsync(NpgsqlDataSource database, int hash)
    {
        await using NpgsqlCommand command = database.CreateCommand("select partconf.check_hash($1)");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = hash });
        await command.ExecuteNonQueryAsync(Token);
    }

    private static async Task ExecuteAsync(NpgsqlDataSource database, string sql)
    {
        await using NpgsqlCommand command = database.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(Token);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource database, string sql)
    {
        await using NpgsqlCommand command = database.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(Token))!;
    }

    // Inserts each value in its own subtransaction; a row the trigger refuses with PX001 is skipped, any other error
    // fails the test. Returns what the table then holds.
    private static async Task<List<string>> InsertEachAsync(NpgsqlDataSource database, string insert, string[] values, string select)
    {
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(Token);
        foreach (string value in values)
        {
            await using NpgsqlCommand command = new(insert, connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = value });
            try
            {
                await command.ExecuteNonQueryAsync(Token);
            }
            catch (PostgresException e) when (e.SqlState == PlProxySqlStates.WrongPartition)
            {
                // not this database's key
            }
        }

        var stored = new List<string>();
        await using NpgsqlCommand read = new(select, connection);
        await using NpgsqlDataReader reader = await read.ExecuteReaderAsync(Token);
        while (await reader.ReadAsync(Token))
        {
            stored.Add(reader.GetString(0));
        }

        return stored;
    }
}

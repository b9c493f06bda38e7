using System.Diagnostics;
using System.Diagnostics.Metrics;
using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Hashing;
using PlProxy.Client.Partconf;
using PlProxy.Client.Telemetry;

namespace PlProxy.Client.IntegrationTests.Partconf;

[PlProxy("CLUSTER 'fence';")]
public interface IFencedWrites
{
    [PlProxy("RUN ON hashtext(key);")]
    Task<long> WriteKeyAsync(string key, long id, CancellationToken cancellationToken = default);

    [PlProxy("SPLIT keys, ids; RUN ON hashtext(keys);")]
    Task<IReadOnlyList<long>> WriteKeysAsync(string[] keys, long[] ids, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON hashtext(key); TARGET write_key_rows;")]
    IAsyncEnumerable<long> StreamWriteKeyAsync(string key, long id, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON hashtext(key); TARGET write_key_rows;")]
    Task<PlProxyPartialResult<long>> PartialWriteKeyAsync(string key, long id, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON 1; TARGET wait_unfenced;")]
    Task<int> WaitOnPartition1Async(double seconds, int value, CancellationToken cancellationToken = default);
}

/// <summary>
/// A client whose partition map is stale sends a write to the wrong database; partconf refuses it before writing, and
/// the client re-plans on a refreshed map and sends it again — or, while the map stays stale, fails as a stale map.
/// </summary>
[Collection(PartconfFixture.Collection)]
public sealed class FencedCallTests(PartconfFixture fixture)
{
    private const string Schema = """
        create table writes (id int8 primary key, key text not null);
        create function write_key(i_key text, i_id int8) returns int8 language plpgsql as $$
        begin
            perform partconf.check_hash(hashtext(i_key));
            insert into writes values (i_id, i_key);
            return i_id;
        end $$;
        create function write_keys(i_keys text[], i_ids int8[]) returns setof int8 language sql as $$
            select write_key(k, i) from unnest(i_keys, i_ids) u(k, i) $$;
        create function write_key_rows(i_key text, i_id int8) returns setof int8 language sql as $$
            select write_key(i_key, i_id) union all select -i_id $$;
        create function wait_unfenced(i_seconds float8, i_value int) returns int language sql as $$
            select i_value from (select pg_sleep(i_seconds)) s $$;
        """;

    private static readonly string KeyOfPartition0 = Enumerable.Range(0, 100).Select(i => $"key{i}").First(k => Partitions.IndexOf(PgHash.HashText(k), 2) == 0);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FencedCall_OnAConfiguredMapThatStaysStale_FailsAsAStaleMapAfterTheWaitWritingNothing()
    {
        NpgsqlDataSource[] databases = await PartitionsAsync();
        using PlProxyDataSource source = PlProxyDataSource.Create(Options(databases[1], databases[0], TimeSpan.FromMilliseconds(300)));
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<PlProxyException>(() => source.CreateProxy<IFencedWrites>().WriteKeyAsync(KeyOfPartition0, 1, Token));

        Assert.Equal(PlProxySqlStates.WrongPartition, error.SqlState);
        Assert.Contains("stale partition map", error.Message, StringComparison.Ordinal);
        Assert.Equal(("fence", 0), (error.Cluster, error.PartitionIndex));
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(5));
        Assert.Equal((0, 0), (await CountAsync(databases[0]), await CountAsync(databases[1])));
    }

    [Fact]
    public async Task FencedCall_WithoutAFenceWait_FailsAsAStaleMapAtTheFirstRefusal()
    {
        NpgsqlDataSource[] databases = await PartitionsAsync();
        using PlProxyDataSource source = PlProxyDataSource.Create(Options(databases[1], databases[0], TimeSpan.Zero));
        using var fences = new FenceCounter();

        var error = await Assert.ThrowsAsync<PlProxyException>(() => source.CreateProxy<IFencedWrites>().WriteKeyAsync(KeyOfPartition0, 2, Token));

        Assert.Contains("stale partition map: the call was fenced 1 time(s)", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, fences.Count);
    }

    [Fact]
    public async Task FencedCall_WhileTheConfigurationIsCorrected_IsWrittenOnceToTheRightDatabase()
    {
        NpgsqlDataSource[] databases = await PartitionsAsync();
        using PlProxyDataSource source = PlProxyDataSource.Create(Options(databases[1], databases[0], TimeSpan.FromSeconds(10)));
        using var fences = new FenceCounter();

        Task<long> write = source.CreateProxy<IFencedWrites>().WriteKeyAsync(KeyOfPartition0, 7, Token);
        await Task.Delay(300, Token);
        source.Clusters.Configure(Options(databases[0], databases[1], TimeSpan.FromSeconds(10)));

        Assert.Equal(7, await write);
        Assert.Equal((1, 0), (await CountAsync(databases[0]), await CountAsync(databases[1])));
        Assert.True(fences.Count >= 2, $"fenced {fences.Count} times");
    }

    [Fact]
    public async Task FencedCall_ReplannedOnANewMap_LetsThatMapsConnectionsCloseOnceTheMapMovesOn()
    {
        // A call re-planned after a fence holds the new map's version only while it runs: once the map moves on and
        // no call holds a version, the databases only it used have none of the client's connections.
        NpgsqlDataSource[] databases = await PartitionsAsync(4, d => d % 2);
        const string Application = "fence-lease";
        PlProxyOptions Map(int partition0, int partition1) => new PlProxyOptions { FencedCallTimeout = TimeSpan.FromSeconds(10) }
            .AddCluster("fence", [$"{databases[partition0].ConnectionString};Application Name={Application}", $"{databases[partition1].ConnectionString};Application Name={Application}"]);
        using PlProxyDataSource source = PlProxyDataSource.Create(Map(1, 0));
        IFencedWrites writes = source.CreateProxy<IFencedWrites>();

        Task<long> write = writes.WriteKeyAsync(KeyOfPartition0, 11, Token); // fenced by database 1 until the map is corrected
        await Task.Delay(300, Token);
        source.Clusters.Configure(Map(0, 1));
        Assert.Equal(11, await write.WaitAsync(TimeSpan.FromSeconds(30), Token));
        source.Clusters.Configure(Map(2, 3));
        Assert.Equal(12, await writes.WriteKeyAsync(KeyOfPartition0, 12, Token));

        await using var server = NpgsqlDataSource.Create(fixture.Server.ConnectionString("postgres"));
        await using NpgsqlCommand connections = server.CreateCommand("select count(*) from pg_stat_activity where application_name = $1 and datname = any($2)");
        connections.Parameters.AddWithValue(Application);
        connections.Parameters.AddWithValue(new[] { DatabaseOf(databases[0]), DatabaseOf(databases[1]) });
        var waited = Stopwatch.StartNew();
        long left;
        while ((left = (long)(await connections.ExecuteScalarAsync(Token))!) > 0 && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(100, Token);
        }

        Assert.Equal(0, left);
        Assert.Equal((1L, 1L), (await CountAsync(databases[0]), await CountAsync(databases[2])));
    }

    [Fact]
    public async Task FencedStreamAndPartialCalls_WhileTheConfigurationIsCorrected_AreReplannedAndWrittenOnce()
    {
        NpgsqlDataSource[] databases = await PartitionsAsync();
        using PlProxyDataSource source = PlProxyDataSource.Create(Options(databases[1], databases[0], TimeSpan.FromSeconds(10)));
        using var fences = new FenceCounter();
        IFencedWrites writes = source.CreateProxy<IFencedWrites>();

        Task<List<long>> streamed = Task.Run(async () =>
        {
            var rows = new List<long>();
            await foreach (long id in writes.StreamWriteKeyAsync(KeyOfPartition0, 11, Token))
            {
                rows.Add(id);
            }

            return rows;
        }, Token);
        Task<PlProxyPartialResult<long>> partial = writes.PartialWriteKeyAsync(KeyOfPartition0, 12, Token);
        await Task.Delay(300, Token);
        source.Clusters.Configure(Options(databases[0], databases[1], TimeSpan.FromSeconds(10)));

        Assert.Equal([11, -11], await streamed.WaitAsync(TimeSpan.FromSeconds(30), Token));
        PlProxyPartialResult<long> result = await partial.WaitAsync(TimeSpan.FromSeconds(30), Token);
        Assert.Equal([12L, -12L], result.Rows);
        Assert.Empty(result.Errors);
        Assert.Equal((2, 0), (await CountAsync(databases[0]), await CountAsync(databases[1])));
        Assert.True(fences.Count >= 2, $"fenced {fences.Count} times");
    }

    [Fact]
    public async Task FencedStreamAndPartialCalls_OnAMapThatStaysStale_FailAndReportAsAStaleMapWritingNothing()
    {
        NpgsqlDataSource[] databases = await PartitionsAsync();
        using PlProxyDataSource source = PlProxyDataSource.Create(Options(databases[1], databases[0], TimeSpan.FromMilliseconds(300)));
        IFencedWrites writes = source.CreateProxy<IFencedWrites>();

        var streamed = await Assert.ThrowsAsync<PlProxyException>(async () =>
        {
            await foreach (long id in writes.StreamWriteKeyAsync(KeyOfPartition0, 13, Token))
            {
                Assert.Fail($"a row ({id}) reached the caller from a fenced call");
            }
        });
        PlProxyPartialResult<long> partial = await writes.PartialWriteKeyAsync(KeyOfPartition0, 14, Token);

        Assert.Contains("stale partition map", streamed.Message, StringComparison.Ordinal);
        Assert.Empty(partial.Rows);
        Assert.Contains("stale partition map", Assert.Single(partial.Errors).Message, StringComparison.Ordinal);
        Assert.Equal((0, 0), (await CountAsync(databases[0]), await CountAsync(databases[1])));
    }

    [Fact]
    public async Task FencedCall_OnAProxyDatabaseCluster_ReloadsTheMapAtOnceAndIsWrittenOnce()
    {
        NpgsqlDataSource[] databases = await PartitionsAsync();
        string proxy = await fixture.ProxyDatabaseAsync("fence", [fixture.Libpq(databases[1]), fixture.Libpq(databases[0])], Token);
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions { FencedCallTimeout = TimeSpan.FromSeconds(10) }.UseProxyDatabase(proxy));
        await source.Clusters.WarmUpAsync(["fence"], "test", Token); // version 1, the swapped map, is serving
        await PartconfFixture.PublishMapAsync(proxy, "fence", 2, [fixture.Libpq(databases[0]), fixture.Libpq(databases[1])], Token);
        using var fences = new FenceCounter();

        Assert.Equal(9, await source.CreateProxy<IFencedWrites>().WriteKeyAsync(KeyOfPartition0, 9, Token));

        Assert.Equal((1, 0), (await CountAsync(databases[0]), await CountAsync(databases[1])));
        Assert.Equal(1, fences.Count); // reloaded at the first fence, not at the next poll (30 s)
    }

    [Fact]
    public async Task FencedSplitCall_DuringAMove_ResendsOnlyTheRefusedElementsAndWritesEachOnce()
    {
        // Partition 1 is moving from database 2 (its keys fenced there) to database 1; the client still has the old map.
        NpgsqlDataSource[] databases = await PartitionsAsync(3, p => p == 2 ? 1 : p);
        await using (NpgsqlCommand fence = databases[2].CreateCommand("update partconf.conf set fenced_nrs = '{1}'"))
        {
            await fence.ExecuteNonQueryAsync(Token);
        }

        string proxy = await fixture.ProxyDatabaseAsync("fence", [fixture.Libpq(databases[0]), fixture.Libpq(databases[2])], Token);
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions { FencedCallTimeout = TimeSpan.FromSeconds(10) }.UseProxyDatabase(proxy));
        await source.Clusters.WarmUpAsync(["fence"], "test", Token);
        await PartconfFixture.PublishMapAsync(proxy, "fence", 2, [fixture.Libpq(databases[0]), fixture.Libpq(databases[1])], Token);
        string[] keys = [.. Enumerable.Range(0, 20).Select(i => $"key{i}")];
        using var fences = new FenceCounter();

        IReadOnlyList<long> ids = await source.CreateProxy<IFencedWrites>().WriteKeysAsync(keys, [.. Enumerable.Range(100, 20).Select(i => (long)i)], Token);

        Assert.Equal(Enumerable.Range(100, 20).Select(i => (long)i), ids.Order());
        int onPartition0 = keys.Count(k => Partitions.IndexOf(PgHash.HashText(k), 2) == 0);
        Assert.Equal((onPartition0, 20L - onPartition0, 0L), (await CountAsync(databases[0]), await CountAsync(databases[1]), await CountAsync(databases[2])));
        Assert.Equal(1, fences.Count); // partition 0's elements were never sent again
    }

    [Fact]
    public async Task FencedSplitCall_AllOnOneMovingDatabase_IsSpreadOverTheNewMapAndWrittenOnce()
    {
        // Both partitions were served by one database and are moving away from it; the client still has that map.
        NpgsqlDataSource[] databases = await PartitionsAsync();
        NpgsqlDataSource old = (await fixture.ClusterAsync(1, _ => new PartconfSettings("fence", [0, 1], 2, 2), Token))[0];
        await using (NpgsqlCommand prepare = old.CreateCommand(Schema + "; update partconf.conf set fenced_nrs = '{0,1}'"))
        {
            await prepare.ExecuteNonQueryAsync(Token);
        }

        string proxy = await fixture.ProxyDatabaseAsync("fence", [fixture.Libpq(old), fixture.Libpq(old)], Token);
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions { FencedCallTimeout = TimeSpan.FromSeconds(10) }.UseProxyDatabase(proxy));
        await source.Clusters.WarmUpAsync(["fence"], "test", Token);
        await PartconfFixture.PublishMapAsync(proxy, "fence", 2, [fixture.Libpq(databases[0]), fixture.Libpq(databases[1])], Token);
        string[] keys = [.. Enumerable.Range(0, 20).Select(i => $"key{i}")];

        IReadOnlyList<long> ids = await source.CreateProxy<IFencedWrites>().WriteKeysAsync(keys, [.. Enumerable.Range(200, 20).Select(i => (long)i)], Token);

        Assert.Equal(20, ids.Count);
        int onPartition0 = keys.Count(k => Partitions.IndexOf(PgHash.HashText(k), 2) == 0);
        Assert.Equal((onPartition0, 20L - onPartition0, 0L), (await CountAsync(databases[0]), await CountAsync(databases[1]), await CountAsync(old)));
    }

    [Fact]
    public async Task FencedCalls_InASharedRoundTrip_AreReplannedAloneWhileTheirNeighboursSucceedAndEachIsWrittenOnce()
    {
        // Partition 1 is moving from database 2 (its keys fenced there) to database 1; the client still has the old map,
        // and reaches database 2 through one connection, held by a slow call while the others queue behind it.
        NpgsqlDataSource[] databases = await PartitionsAsync(3, p => p == 2 ? 1 : p);
        await using (NpgsqlCommand fence = databases[2].CreateCommand("update partconf.conf set fenced_nrs = '{1}'"))
        {
            await fence.ExecuteNonQueryAsync(Token);
        }

        string proxy = await fixture.ProxyDatabaseAsync("fence", [fixture.Libpq(databases[0]), fixture.Libpq(databases[2])], Token);
        var options = new PlProxyOptions { FencedCallTimeout = TimeSpan.FromSeconds(10) }.UseProxyDatabase(proxy);
        options.ProxyDatabaseClusters.MaxConnectionsPerPartition = 1;
        using PlProxyDataSource source = PlProxyDataSource.Create(options);
        await source.Clusters.WarmUpAsync(["fence"], "test", Token);
        await PartconfFixture.PublishMapAsync(proxy, "fence", 2, [fixture.Libpq(databases[0]), fixture.Libpq(databases[1])], Token);
        IFencedWrites writes = source.CreateProxy<IFencedWrites>();
        string[] keys = [.. Enumerable.Range(0, 40).Select(i => $"key{i}").Where(k => Partitions.IndexOf(PgHash.HashText(k), 2) == 1).Take(6)];
        using var fences = new FenceCounter();

        Task<int> holder = writes.WaitOnPartition1Async(0.5, -1, Token);
        await Task.Delay(150, Token);
        var neighbours = new List<Task<int>>();
        var written = new List<Task<long>>();
        for (int i = 0; i < keys.Length; i++)
        {
            neighbours.Add(writes.WaitOnPartition1Async(0, i, Token));
            written.Add(writes.WriteKeyAsync(keys[i], 300 + i, Token));
        }

        long[] ids = await Task.WhenAll(written).WaitAsync(TimeSpan.FromSeconds(60), Token);
        int[] values = await Task.WhenAll(neighbours).WaitAsync(TimeSpan.FromSeconds(60), Token);

        Assert.Equal(-1, await holder);
        Assert.Equal(Enumerable.Range(300, keys.Length).Select(i => (long)i), ids);
        Assert.Equal(Enumerable.Range(0, keys.Length), values);
        Assert.Equal((0L, (long)keys.Length, 0L), (await CountAsync(databases[0]), await CountAsync(databases[1]), await CountAsync(databases[2])));
        Assert.Equal(keys.Length, fences.Count); // each fenced call refused once, then sent on the new map; no neighbour fenced
    }

    // Databases of cluster 'fence' (2 partitions), database d serving partition partitionOf(d) (by default d).
    private async Task<NpgsqlDataSource[]> PartitionsAsync(int count = 2, Func<int, int>? partitionOf = null)
    {
        NpgsqlDataSource[] databases = await fixture.ClusterAsync(count, d => new PartconfSettings("fence", [partitionOf?.Invoke(d) ?? d], 2, d), Token);
        foreach (NpgsqlDataSource database in databases)
        {
            await using NpgsqlCommand command = database.CreateCommand(Schema);
            await command.ExecuteNonQueryAsync(Token);
        }

        return databases;
    }

    private static PlProxyOptions Options(NpgsqlDataSource partition0, NpgsqlDataSource partition1, TimeSpan fenceWait) =>
        new PlProxyOptions { FencedCallTimeout = fenceWait }.AddCluster("fence", [partition0.ConnectionString, partition1.ConnectionString]);

    private static string DatabaseOf(NpgsqlDataSource database) => new NpgsqlConnectionStringBuilder(database.ConnectionString).Database!;

    private static async Task<long> CountAsync(NpgsqlDataSource database)
    {
        await using NpgsqlCommand command = database.CreateCommand("select count(*) from writes");
        return (long)(await command.ExecuteScalarAsync(Token))!;
    }

    /// <summary>The fenced-calls metric of cluster 'fence' while it lives (tests of this class run one at a time).</summary>
    private sealed class FenceCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _count;

        public FenceCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == TelemetryNames.SourceName && instrument.Name == TelemetryNames.FencedCalls)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (KeyValuePair<string, object?> tag in tags)
                {
                    if (tag.Key == TelemetryNames.Cluster && Equals(tag.Value, "fence"))
                    {
                        Interlocked.Add(ref _count, value);
                    }
                }
            });
            _listener.Start();
        }

        public long Count => Interlocked.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }
}

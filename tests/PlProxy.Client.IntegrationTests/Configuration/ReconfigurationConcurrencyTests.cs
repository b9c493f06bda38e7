using System.Diagnostics;
using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Hashing;
using PlProxy.Client.Testing;

namespace PlProxy.Client.IntegrationTests.Configuration;

[PlProxy("CLUSTER 'flip';")]
public interface IFlip
{
    [PlProxy("RUN ON hashtext(key); SELECT current_database()::text;")]
    Task<string> WhereAsync(string key, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON ALL; SELECT current_database()::text;")]
    Task<IReadOnlyList<string>> AllAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// Calls under load while the proxy database moves the whole cluster back and forth between two sets of databases:
/// no call fails, and none sees a half-updated partition map.
/// </summary>
[Collection(UserDbFixture.Collection)]
public sealed class ReconfigurationConcurrencyTests(UserDbFixture fixture)
{
    private const int Workers = 6;
    private const int MaxCallsPerWorker = 1500;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task ClusterSwaps_UnderConcurrentCalls_NeverFailAndNeverMixMaps()
    {
        CancellationToken token = TestContext.Current.CancellationToken;
        LocalPostgresServer server = fixture.Server;
        string suffix = Guid.NewGuid().ToString("N")[..8];
        string[] a = [$"flip_a0_{suffix}", $"flip_a1_{suffix}"], b = [$"flip_b0_{suffix}", $"flip_b1_{suffix}"];
        foreach (string database in a.Concat(b))
        {
            await server.CreateDatabaseAsync(database, cancellationToken: token);
        }

        string proxyName = $"flip_proxy_{suffix}";
        string proxy = await server.CreateDatabaseAsync(proxyName, cancellationToken: token);
        string Libpq(string database) => $"host={server.Host} port={server.Port} dbname={database} user={LocalPostgresServer.Superuser}";
        await server.ExecuteAsync(proxyName, $"""
            create schema plproxy;
            create table plproxy.state (version int, p0 text, p1 text);
            insert into plproxy.state values (1, '{Libpq(a[0])}', '{Libpq(a[1])}');
            create function plproxy.get_cluster_version(c text) returns int4 language sql as $$ select version from plproxy.state $$;
            create function plproxy.get_cluster_partitions(c text) returns setof text language sql as $$ select p0 from plproxy.state union all select p1 from plproxy.state $$;
            create function plproxy.get_cluster_config(in c text, out key text, out val text) returns setof record language sql as $$ select null::text, null::text where false $$;
            """, token);

        var options = new PlProxyOptions { ProxyDatabasePollInterval = TimeSpan.FromMilliseconds(100) }.UseProxyDatabase(proxy);
        await using PlProxyDataSource source = PlProxyDataSource.Create(options);
        IFlip flip = source.CreateProxy<IFlip>();
        await flip.AllAsync(token); // loads the cluster

        int calls = 0, failures = 0, flips = 0;
        var problems = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        stop.CancelAfter(Duration);

        async Task Work(int worker)
        {
            var random = new Random(worker);
            for (int i = 0; i < MaxCallsPerWorker && !stop.IsCancellationRequested; i++)
            {
                try
                {
                    if (i % 4 == 0)
                    {
                        IReadOnlyList<string> all = await flip.AllAsync(token);
                        if (!(all.SequenceEqual(a) || all.SequenceEqual(b)))
                        {
                            problems.Enqueue($"RUN ON ALL saw [{string.Join(", ", all)}]");
                        }
                    }
                    else
                    {
                        string key = $"key{random.Next(100_000)}";
                        int partition = Client.Hashing.Partitions.IndexOf(PgHash.HashText(key), 2);
                        string database = await flip.WhereAsync(key, token);
                        if (database != a[partition] && database != b[partition])
                        {
                            problems.Enqueue($"{key} (partition {partition}) ran on {database}");
                        }
                    }

                    Interlocked.Increment(ref calls);
                }
                catch (Exception e)
                {
                    Interlocked.Increment(ref failures);
                    problems.Enqueue(e.Message);
                }
            }
        }

        async Task Mutate()
        {
            await using var proxySource = NpgsqlDataSource.Create(proxy);
            int version = 1;
            while (!stop.IsCancellationRequested)
            {
                string[] next = version % 2 == 1 ? b : a;
                version++;
                await using (NpgsqlCommand update = proxySource.CreateCommand($"update plproxy.state set version = {version}, p0 = '{Libpq(next[0])}', p1 = '{Libpq(next[1])}'"))
                {
                    await update.ExecuteNonQueryAsync(token);
                }

                if (version % 2 == 0)
                {
                    await source.RefreshAsync(token); // on demand; the other half of the changes are found by polling
                }

                flips++;
                await Task.Delay(50, token);
            }
        }

        var elapsed = Stopwatch.StartNew();
        await Task.WhenAll([.. Enumerable.Range(0, Workers).Select(w => Task.Run(() => Work(w), token)), Task.Run(Mutate, token)]);
        elapsed.Stop();

        // Every retired version's pools were released once its calls ended: only the current map's two remain.
        await source.RefreshAsync(token);
        int pools = source.PoolCount;

        await File.WriteAllTextAsync(Path.Combine(AppContext.BaseDirectory, "reload-concurrency.txt"),
            $"calls {calls}, failures {failures}, map changes {flips}, workers {Workers}, seconds {elapsed.Elapsed.TotalSeconds:0.0}, pools at end {pools}\n", token);
        Assert.True(problems.IsEmpty, $"{problems.Count} problems in {calls} calls during {flips} changes:\n{string.Join('\n', problems.Take(10))}");
        Assert.Equal(0, failures);
        Assert.True(flips >= 10, $"Only {flips} map changes happened.");
        Assert.True(calls >= 500, $"Only {calls} calls ran.");
        Assert.Equal(2, pools);
    }
}

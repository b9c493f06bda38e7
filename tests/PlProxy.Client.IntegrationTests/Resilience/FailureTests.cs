using System.Diagnostics;
using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Hashing;
using PlProxy.Client.Testing;

namespace PlProxy.Client.IntegrationTests.Resilience;

/// <summary>
/// Partitions fail one at a time: a stopped instance, killed backends, a slow partition, a paused pgBouncer, an
/// exhausted pool. Healthy partitions keep serving, the failing one fails fast and by name, breakers open and close,
/// and no write runs twice. Every load loop is bounded in count and time; loopback only.
/// </summary>
public sealed class FailureTests(FailureFixture fixture) : IClassFixture<FailureFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static long _ids;

    private PlProxyDataSource Source(Action<PlProxyClusterOptions>? configure = null, string[]? partitions = null)
    {
        var options = new PlProxyOptions().AddCluster("events", cluster =>
        {
            foreach (string partition in partitions ?? fixture.Partitions)
            {
                cluster.Partitions.Add(partition);
            }

            cluster.Retry.MaxRetryAttempts = 1;
            cluster.Retry.Delay = TimeSpan.FromMilliseconds(50);
            cluster.CircuitBreaker.MinimumThroughput = 4;
            cluster.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(5);
            cluster.CircuitBreaker.BreakDuration = TimeSpan.FromSeconds(1);
            configure?.Invoke(cluster);
        });
        return PlProxyDataSource.Create(options);
    }

    private static string KeyOnPartition(int partition, int salt) =>
        Enumerable.Range(salt * 1000, 100_000).Select(i => $"k{i}").First(k => Partitions.IndexOf(PgHash.HashText(k), 4) == partition);

    private async Task<long> CountAsync(string sql)
    {
        long total = 0;
        for (int i = 0; i < 4; i++)
        {
            await using var dataSource = NpgsqlDataSource.Create(fixture.Partitions[i]);
            await using NpgsqlCommand command = dataSource.CreateCommand(sql);
            total += (long)(await command.ExecuteScalarAsync(Token))!;
        }

        return total;
    }

    [Fact]
    public async Task StoppedInstance_FailsOnlyItsPartitionsFast_OpensTheBreaker_AndRecovers()
    {
        await using PlProxyDataSource source = Source();
        IEvents events = source.CreateProxy<IEvents>();
        long before = await CountAsync("select count(*) from events");
        int attempted = 0, acknowledged = 0, healthyFailures = 0, deadFailures = 0, circuitOpen = 0;
        TimeSpan slowestFailure = TimeSpan.Zero;

        async Task Load(TimeSpan duration, int maxCalls)
        {
            var stop = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
            {
                for (int i = 0; i < maxCalls / 4 && stop.Elapsed < duration; i++)
                {
                    int partition = (worker + i) % 4;
                    string key = KeyOnPartition(partition, i % 7);
                    Interlocked.Increment(ref attempted);
                    var call = Stopwatch.StartNew();
                    try
                    {
                        await events.WriteEventAsync(key, Interlocked.Increment(ref _ids), Token);
                        Interlocked.Increment(ref acknowledged);
                    }
                    catch (PlProxyException e)
                    {
                        lock (this)
                        {
                            slowestFailure = call.Elapsed > slowestFailure ? call.Elapsed : slowestFailure;
                        }

                        if (partition < 2)
                        {
                            Interlocked.Increment(ref healthyFailures);
                        }
                        else
                        {
                            Assert.Equal(("events", partition, FailureFixture.Database(partition)), (e.Cluster, e.PartitionIndex, e.Database));
                            Interlocked.Increment(ref deadFailures);
                            if (e.Message.Contains("circuit open", StringComparison.Ordinal))
                            {
                                Interlocked.Increment(ref circuitOpen);
                            }
                        }
                    }
                }
            }, Token)));
        }

        await Load(TimeSpan.FromSeconds(1), 80);
        Assert.Equal(attempted, acknowledged);

        await fixture.Second.StopAsync(Token);
        try
        {
            await Load(TimeSpan.FromSeconds(3), 200);
        }
        finally
        {
            await fixture.Second.RestartAsync(Token);
        }

        // After the break duration the breaker lets a call through, which succeeds and closes it.
        var recovery = Stopwatch.StartNew();
        string recovered = "";
        while (recovery.Elapsed < TimeSpan.FromSeconds(15))
        {
            try
            {
                recovered = await events.ReadDatabaseAsync(KeyOnPartition(3, 0), Token);
                break;
            }
            catch (PlProxyException)
            {
                await Task.Delay(200, Token);
            }
        }

        long written = await CountAsync("select count(*) from events") - before;
        long duplicates = await CountAsync("select count(*) - count(distinct id) from events");
        await File.WriteAllTextAsync(Path.Combine(AppContext.BaseDirectory, "failure-stopped-instance.txt"),
            $"attempted {attempted}, acknowledged {acknowledged}, written {written}, duplicates {duplicates}, failures on healthy partitions {healthyFailures}, on the stopped instance {deadFailures} (circuit open {circuitOpen}), slowest failure {slowestFailure.TotalSeconds:0.00} s, recovered in {recovery.Elapsed.TotalSeconds:0.0} s\n", Token);

        Assert.Equal(0, healthyFailures);
        Assert.True(deadFailures > 0);
        Assert.True(circuitOpen > 0, "The breaker never opened.");
        Assert.True(slowestFailure < TimeSpan.FromSeconds(6), $"A failing call took {slowestFailure}.");
        Assert.Equal("ev3", recovered);
        Assert.InRange(written, acknowledged, attempted);
        Assert.Equal(0, duplicates);
    }

    [Fact]
    public async Task ReadOnlyPartition_RefusesEachWriteWith25006_AndKeepsServingReadsWithItsCircuitClosed()
    {
        // An operator makes a partition read-only for maintenance: PostgreSQL refuses its writes (25006), each call's
        // own failure. The partition is up and serves reads: its circuit must not open on the refused writes.
        await fixture.First.ExecuteAsync("postgres", "alter database ev1 set default_transaction_read_only = on", Token);
        try
        {
            await using PlProxyDataSource source = Source();
            IEvents events = source.CreateProxy<IEvents>();
            for (int i = 0; i < 20; i++)
            {
                var refused = await Assert.ThrowsAsync<PlProxyException>(() => events.WriteEventAsync(KeyOnPartition(1, i % 7), 900_000 + i, Token));
                Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, refused.SqlState);
                Assert.Equal("ev1", await events.ReadDatabaseAsync(KeyOnPartition(1, i % 7), Token));
            }
        }
        finally
        {
            await fixture.First.ExecuteAsync("postgres", "alter database ev1 reset default_transaction_read_only", Token);
        }
    }

    [Fact]
    public async Task PartialResults_OptIn_ReturnTheLivePartitionsAndNameTheDeadOnes()
    {
        await using PlProxyDataSource source = Source(cluster => cluster.Retry.MaxRetryAttempts = 0);
        IEvents events = source.CreateProxy<IEvents>();

        await fixture.Second.StopAsync(Token);
        PlProxyPartialResult<string> gathered;
        PlProxyException allOrError;
        try
        {
            gathered = await events.GatherDatabasesAsync("x", Token);
            allOrError = await Assert.ThrowsAsync<PlProxyException>(() => events.AllDatabasesAsync("x", Token));
        }
        finally
        {
            await fixture.Second.RestartAsync(Token);
        }

        Assert.Equal(["ev0", "ev1"], gathered.Rows);
        Assert.Equal([2, 3], gathered.Errors.Select(e => e.PartitionIndex).Order());
        Assert.False(gathered.IsComplete);
        Assert.Equal(4, gathered.PartitionsCalled);
        Assert.Contains(allOrError.PartitionIndex, new int?[] { 2, 3 });
    }

    [Fact]
    public async Task KilledBackends_IdempotentReadsRetry_WritesAreNotRepeated()
    {
        await using PlProxyDataSource source = Source();
        IEvents events = source.CreateProxy<IEvents>();
        string key = KeyOnPartition(0, 3);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal("ev0", await events.ReadDatabaseAsync(key, Token)); // pooled connections now idle
        }

        await TerminateBackendsAsync(FailureFixture.Database(0));
        Assert.Equal("ev0", await events.ReadDatabaseAsync(key, Token)); // a dead pooled connection, retried

        await TerminateBackendsAsync(FailureFixture.Database(0));
        long id = Interlocked.Increment(ref _ids);
        try
        {
            await events.WriteEventAsync(key, id, Token);
        }
        catch (PlProxyException)
        {
            // At most once: a write on a dead connection is reported, never sent again.
        }

        long rows = await CountAsync($"select count(*) from events where id = {id}");
        Assert.InRange(rows, 0, 1);
        Assert.Equal(1L, await events.WriteEventAsync(key, id + 1_000_000_000, Token) > 0 ? 1L : 0L);
    }

    [Fact]
    public async Task SlowPartition_PastQueryTimeout_FailsWithQueryCanceled_WhileOthersServe()
    {
        // The healthy partition's connection is opened first: on a machine busy with other tests, opening it within
        // the call's own query_timeout is what failed, not the timeout under test.
        await using PlProxyDataSource source = Source(cluster => cluster.QueryTimeout = TimeSpan.FromSeconds(3));
        IEvents events = source.CreateProxy<IEvents>();
        Assert.Equal("ev2", await events.ReadDatabaseAsync(KeyOnPartition(2, 1), Token));
        var watch = Stopwatch.StartNew();

        Task<int> slow = events.SlowAsync(20, Token);
        string healthy = await events.ReadDatabaseAsync(KeyOnPartition(2, 1), Token);
        var error = await Assert.ThrowsAsync<PlProxyException>(() => slow);

        Assert.Equal("ev2", healthy);
        Assert.Equal("57014", error.SqlState);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(12), $"The timeout took {watch.Elapsed}.");
        await AssertNoSleepRunningAsync();
    }

    [Fact]
    public async Task SlowCall_LongerThanNpgsqlsDefaultCommandTimeout_CompletesAsThroughPlProxy_ForQueryTimeoutIsTheOnlyLimit()
    {
        // PL/Proxy puts no limit on a call unless query_timeout says so; Npgsql's commands give up after 30 s unless
        // their connection string says otherwise. A 31-s report must come back, as it does through PL/Proxy.
        await using PlProxyDataSource source = Source();
        IEvents events = source.CreateProxy<IEvents>();
        var watch = Stopwatch.StartNew();

        int result = await events.SlowAsync(31, Token).WaitAsync(TimeSpan.FromSeconds(90), Token);

        Assert.Equal(1, result);
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(31), $"the call came back after {watch.Elapsed}");
    }

    [Fact]
    public async Task ExhaustedPool_FailsFastAndByName_WhileThePoolServesOthers()
    {
        await using PlProxyDataSource source = Source(cluster =>
        {
            cluster.MaxPoolSize = 2;
            cluster.MaxConnectionsPerPartition = null; // Npgsql's pool alone: what exhausting it looks like
            cluster.ConnectTimeout = TimeSpan.FromSeconds(1);
            cluster.Retry.MaxRetryAttempts = 0;
        });
        IEvents events = source.CreateProxy<IEvents>();
        var watch = Stopwatch.StartNew();

        Task<int>[] calls = [.. Enumerable.Range(0, 6).Select(_ => events.SlowAsync(2.5, Token))];
        var outcomes = await Task.WhenAll(calls.Select(async c => { try { await c; return (string?)null; } catch (PlProxyException e) { return e.SqlState + " " + e.Message; } }));

        Assert.Equal(2, outcomes.Count(o => o is null));
        Assert.All(outcomes.Where(o => o is not null), o => Assert.Contains("08001", o!, StringComparison.Ordinal));
        Assert.All(outcomes.Where(o => o is not null), o => Assert.Contains("[ev0] could not connect", o!, StringComparison.Ordinal));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"The calls took {watch.Elapsed}.");
    }

    [Fact]
    public async Task PausedPgBouncer_TimesOutCallsWithoutHanging_AndResumes()
    {
        await using LocalPgBouncer bouncer = await LocalPgBouncer.StartAsync(fixture.First, PgBouncerPoolMode.Transaction, Token);
        string[] partitions = [.. Enumerable.Range(0, 2).Select(i => bouncer.ConnectionString(FailureFixture.Database(i)))];
        await using PlProxyDataSource source = Source(cluster =>
        {
            cluster.Partitions.Clear();
            foreach (string p in partitions)
            {
                cluster.Partitions.Add(p);
            }

            cluster.Pooler = PlProxyPooler.PgBouncerTransaction;
            cluster.QueryTimeout = TimeSpan.FromSeconds(1);
        }, partitions);
        IEvents events = source.CreateProxy<IEvents>();
        Assert.Equal("ev0", await events.ReadDatabaseAsync(KeyOnPartition(0, 2), Token));

        await BouncerAdminAsync(bouncer, "PAUSE");
        var watch = Stopwatch.StartNew();
        var paused = await Assert.ThrowsAsync<PlProxyException>(() => events.ReadDatabaseAsync(KeyOnPartition(0, 2), Token));
        TimeSpan waited = watch.Elapsed;
        await BouncerAdminAsync(bouncer, "RESUME");

        Assert.Equal("57014", paused.SqlState);
        Assert.True(waited < TimeSpan.FromSeconds(6), $"The paused call took {waited}.");
        Assert.Equal("ev0", await events.ReadDatabaseAsync(KeyOnPartition(0, 2), Token));
    }

    [Fact]
    public async Task ConnectionBudget_KeepsFanOutBelowMaxConnections()
    {
        var small = new LocalPostgresOptions { MaxConnections = 8 };
        small.Settings["superuser_reserved_connections"] = "0";
        await using LocalPostgresServer server = await LocalPostgresServer.StartAsync(small, Token);
        var partitions = new string[4];
        for (int i = 0; i < 4; i++)
        {
            partitions[i] = await server.CreateDatabaseAsync(FailureFixture.Database(i), cancellationToken: Token) + ";Timeout=3";
            await server.ExecuteAsync(FailureFixture.Database(i), FailureFixture.Schema, Token);
        }

        // The budget caps calls in flight per host (queued in arrival order); pools keep idle connections per database,
        // so MaxPoolSize caps what each partition keeps open. Together: at most 4 x 2 connections here.
        async Task<(int Ok, List<string> Errors)> FanOut(int? budget)
        {
            var options = new PlProxyOptions { MaxConnectionsPerHost = budget, ConnectionBudgetTimeout = TimeSpan.FromSeconds(20) }
                .AddCluster("events", cluster =>
                {
                    foreach (string p in partitions)
                    {
                        cluster.Partitions.Add(p);
                    }

                    cluster.Retry.MaxRetryAttempts = 0;
                    cluster.CircuitBreaker.Enabled = false;
                    cluster.MaxPoolSize = budget is null ? null : 2;
                    cluster.MaxConnectionsPerPartition = budget is null ? null : 4; // unbounded: no per-partition cap either
                });
            await using PlProxyDataSource source = PlProxyDataSource.Create(options);
            IEvents events = source.CreateProxy<IEvents>();
            var errors = new List<string>();
            int ok = 0;
            await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(async () =>
            {
                for (int i = 0; i < 3; i++)
                {
                    try
                    {
                        Assert.Equal(4, (await events.AllDatabasesAsync("x", Token)).Count);
                        Interlocked.Increment(ref ok);
                    }
                    catch (PlProxyException e)
                    {
                        lock (errors)
                        {
                            errors.Add(e.SqlState);
                        }
                    }
                }
            }, Token)));
            return (ok, errors);
        }

        (int withBudget, List<string> budgetErrors) = await FanOut(budget: 4);
        (int _, List<string> unboundedErrors) = await FanOut(budget: null);

        Assert.Empty(budgetErrors);
        Assert.Equal(36, withBudget);
        Assert.NotEmpty(unboundedErrors); // without a budget, 12 callers x 4 partitions exceed max_connections = 8
    }

    private async Task TerminateBackendsAsync(string database)
    {
        await fixture.First.ExecuteAsync("postgres", $"select pg_terminate_backend(pid) from pg_stat_activity where datname = '{database}' and pid <> pg_backend_pid()", Token);
        await Task.Delay(200, Token);
    }

    private async Task AssertNoSleepRunningAsync()
    {
        var deadline = Stopwatch.StartNew();
        await using var dataSource = NpgsqlDataSource.Create(fixture.First.ConnectionString() + ";Pooling=false");
        while (true)
        {
            await using NpgsqlCommand command = dataSource.CreateCommand("select count(*) from pg_stat_activity where query like '%slow(%' and state = 'active' and pid <> pg_backend_pid()");
            long running = (long)(await command.ExecuteScalarAsync(Token))!;
            if (running == 0)
            {
                return;
            }

            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(5), "The timed-out statement is still running on the partition.");
            await Task.Delay(100, Token);
        }
    }

    private async Task BouncerAdminAsync(LocalPgBouncer bouncer, string command)
    {
        var start = new ProcessStartInfo(Path.Combine(fixture.First.BinDirectory, "psql"))
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (string argument in new[] { "-h", "127.0.0.1", "-p", bouncer.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", LocalPostgresServer.Superuser, "-d", "pgbouncer", "-c", command })
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, await process.StandardError.ReadToEndAsync(Token));
    }
}

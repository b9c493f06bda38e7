using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Npgsql;
using PlProxy.Client.Telemetry;

namespace PlProxy.Client.IntegrationTests.Execution;

/// <summary>
/// A capped, coalescing partition under what a hostile caller does all at once: many callers, quick and slow calls,
/// failing statements, writes, and cancellations at random moments (queued, in a shared round trip, or alone). Every
/// answer is the caller's own, no write happens twice, the server never sees more connections than the cap, and
/// nothing is left behind: no slot, no connection in use, no call that never ends.
/// </summary>
[Collection(CoalescingFixture.Collection)]
public sealed class CoalescingUnderChaosTests(CoalescingFixture fixture)
{
    private const int Cap = 2;
    private const int Callers = 32;
    private const int CallsPerCaller = 60;
    private const int FirstId = 7_000_000;

    private static readonly TimeSpan CallBound = TimeSpan.FromSeconds(30);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ManyCallers_WithRandomCancellationsFailuresAndWrites_GetTheirOwnAnswers_WriteAtMostOnce_AndLeaveNothingBehind()
    {
        const string Application = "coalesce-chaos";
        long inUse = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == TelemetryNames.SourceName && instrument.Name == TelemetryNames.ConnectionsInUse)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, change, tags, _) =>
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == TelemetryNames.ServerPort && Equals(tag.Value, fixture.Server.Port))
                {
                    Interlocked.Add(ref inUse, change);
                }
            }
        });
        listener.Start();
        using var batches = new BatchSizes("capped", fixture.Server.Port);
        await using PlProxyDataSource source = fixture.Create(Application, cluster => cluster.MaxConnectionsPerPartition = Cap);
        ICappedDb db = source.CreateProxy<ICappedDb>();
        using var stopSampling = new CancellationTokenSource();
        Task<int> mostConnections = SampleConnectionsAsync(Application, stopSampling.Token);

        var outcomes = new ConcurrentDictionary<int, string>();
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
        {
            var random = new Random(caller);
            for (int n = 0; n < CallsPerCaller; n++)
            {
                int call = (caller * CallsPerCaller) + n;
                outcomes[call] = await CallAsync(db, call, random.Next(100), random.Next(6)).WaitAsync(CallBound, Token);
            }
        }, Token))).WaitAsync(TimeSpan.FromSeconds(180), Token);
        stopSampling.Cancel();
        int most = await mostConnections;

        // Each call's outcome is one its kind allows (CallAsync checks the values); writes are there at most once, and
        // exactly once where the caller was told they succeeded.
        Dictionary<int, long> rows = await WrittenAsync();
        foreach ((int call, string outcome) in outcomes)
        {
            long written = rows.GetValueOrDefault(FirstId + call);
            Assert.True(outcome switch
            {
                "written" => written == 1,
                "refused" or "read" or "cancelled read" => written == 0,
                "cancelled write" => written <= 1,
                _ => false,
            }, $"call {call}: {outcome}, written {written} time(s)");
        }

        TestContext.Current.TestOutputHelper?.WriteLine(string.Join(", ", outcomes.Values.GroupBy(o => o).Select(g => $"{g.Key}: {g.Count()}")) + $"; largest round trip {batches.Largest} calls; at most {most} connections");
        Assert.Equal(Callers * CallsPerCaller, outcomes.Count);
        Assert.True(batches.Largest > 1, "no round trip was shared: the storm missed the path it is about");
        Assert.Contains("cancelled read", outcomes.Values);
        Assert.Contains("cancelled write", outcomes.Values);
        Assert.InRange(most, 1, Cap);

        // Nothing held: every connection back, and the partition serves at once.
        Assert.Equal(0, Interlocked.Read(ref inUse));
        int[] after = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => db.EchoAsync(i, Token))).WaitAsync(TimeSpan.FromSeconds(10), Token);
        Assert.Equal(Enumerable.Range(0, 40), after);
        Assert.InRange(await fixture.ConnectionsAsync(Application), 1, Cap);
    }

    [Fact]
    public async Task ManyCallers_WhileTheirBackendsAreKilledAtRandom_FailOnlyAsLostConnectionsDo_AndNeverWriteTwice()
    {
        const string Application = "coalesce-killed";
        const int From = FirstId + 500_000;
        await using PlProxyDataSource source = fixture.Create(Application, cluster => cluster.MaxConnectionsPerPartition = Cap);
        ICappedDb db = source.CreateProxy<ICappedDb>();
        using var stopKilling = new CancellationTokenSource();
        Task<int> killed = KillBackendsAsync(Application, stopKilling.Token);

        var outcomes = new ConcurrentDictionary<int, string>();
        await Task.WhenAll(Enumerable.Range(0, 16).Select(caller => Task.Run(async () =>
        {
            var random = new Random(caller + 100);
            for (int n = 0; n < 40; n++)
            {
                int call = (caller * 40) + n;
                int roll = random.Next(100);
                outcomes[call] = await OutcomeAsync(async () =>
                {
                    if (roll < 40)
                    {
                        Assert.Equal(call, await db.EchoAsync(call, Token));
                    }
                    else if (roll < 60)
                    {
                        Assert.Equal(call, await db.SlowEchoAsync(call, 0.01, Token));
                    }
                    else
                    {
                        Assert.Equal(From + call, await db.WriteOnceAsync(From + call, -1, Token));
                        return "written";
                    }

                    return "read";
                }).WaitAsync(CallBound, Token);
            }
        }, Token))).WaitAsync(TimeSpan.FromSeconds(180), Token);
        stopKilling.Cancel();
        int kills = await killed;

        // A write whose connection was lost may or may not have committed, but it is never sent again: a resent write
        // would have failed here with 23505 (the id is a primary key) or been written by a call that reports a failure.
        Dictionary<int, long> rows = await WrittenAsync();
        TestContext.Current.TestOutputHelper?.WriteLine(string.Join(", ", outcomes.Values.GroupBy(o => o).Select(g => $"{g.Key}: {g.Count()}")) + $"; {kills} backends killed");
        Assert.All(outcomes, o => Assert.True(o.Value is "read" or "written" || o.Value.StartsWith("lost ", StringComparison.Ordinal), $"call {o.Key}: {o.Value}"));
        Assert.All(outcomes.Where(o => o.Value == "written"), o => Assert.Equal(1, rows.GetValueOrDefault(From + o.Key)));
        Assert.Contains(outcomes.Values, o => o.StartsWith("lost ", StringComparison.Ordinal));
        Assert.True(kills > 0);

        // Once the killing stops the partition serves again, on at most the cap. A pooled connection killed while idle
        // fails the round trip that next uses it, as it would fail a call alone (the call may have reached the server);
        // there are at most the cap of them, and each wave of calls that meets one uses it up: by the wave after the
        // cap's, every call is served.
        string[] wave = [];
        for (int n = 0; n <= Cap && (n == 0 || wave.Any(o => o != "read")); n++)
        {
            wave = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => OutcomeAsync(async () =>
            {
                Assert.Equal(i, await db.EchoAsync(i, Token));
                return "read";
            }))).WaitAsync(TimeSpan.FromSeconds(10), Token);
            Assert.All(wave, o => Assert.True(o is "read" || o.StartsWith("lost ", StringComparison.Ordinal), o));
        }

        Assert.All(wave, o => Assert.Equal("read", o));
        Assert.InRange(await fixture.ConnectionsAsync(Application), 1, Cap);
    }

    // A call's outcome: what it returns, or "lost <SQLSTATE>" when it failed as a call whose connection was killed fails.
    private static async Task<string> OutcomeAsync(Func<Task<string>> call)
    {
        try
        {
            return await call();
        }
        catch (PlProxyException e) when (e.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.ConnectionFailure or PostgresErrorCodes.ConnectionException)
        {
            return $"lost {e.SqlState}";
        }
        catch (PlProxyException e)
        {
            return $"unexpected {e.SqlState}: {e}";
        }
    }

    // Terminates a random backend of the application every 20 ms until stopped; how many it terminated.
    private async Task<int> KillBackendsAsync(string application, CancellationToken stop)
    {
        await using var dataSource = NpgsqlDataSource.Create(fixture.Partition + ";Pooling=false");
        int killed = 0;
        while (!stop.IsCancellationRequested)
        {
            await using NpgsqlCommand kill = dataSource.CreateCommand(
                "select count(pg_terminate_backend(pid))::int from (select pid from pg_stat_activity where application_name = $1 order by random() limit 1) p");
            kill.Parameters.Add(new NpgsqlParameter<string> { TypedValue = application });
            killed += (int)(await kill.ExecuteScalarAsync(CancellationToken.None))!;
            try
            {
                await Task.Delay(20, stop);
            }
            catch (OperationCanceledException)
            {
            }
        }

        return killed;
    }

    // One call of a kind chosen by roll: its outcome, after checking that what came back is its own.
    private static async Task<string> CallAsync(ICappedDb db, int call, int roll, int delayMilliseconds)
    {
        int id = FirstId + call;
        if (roll < 35)
        {
            Assert.Equal(call, await db.EchoAsync(call, Token));
            return "read";
        }

        if (roll < 45)
        {
            Assert.Equal(call, await db.SlowEchoAsync(call, 0.005, Token));
            return "read";
        }

        if (roll < 55)
        {
            PlProxyException error = await Assert.ThrowsAsync<PlProxyException>(() => db.WriteOnceAsync(id, id, Token));
            Assert.Equal("P0042", error.SqlState);
            Assert.Contains($"call {id} fails", error.Message, StringComparison.Ordinal);
            return "refused";
        }

        if (roll < 70)
        {
            Assert.Equal(id, await db.WriteOnceAsync(id, -1, Token));
            return "written";
        }

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Token);
        cancel.CancelAfter(delayMilliseconds);
        try
        {
            if (roll < 85)
            {
                Assert.Equal(call, await (roll < 78 ? db.EchoAsync(call, cancel.Token) : db.SlowEchoAsync(call, 0.003, cancel.Token)));
                return "read";
            }

            Assert.Equal(id, await db.WriteOnceAsync(id, -1, cancel.Token));
            return "written";
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested && !Token.IsCancellationRequested)
        {
            return roll < 85 ? "cancelled read" : "cancelled write";
        }
    }

    // The most backends of the application seen at once, every few milliseconds until stopped.
    private async Task<int> SampleConnectionsAsync(string application, CancellationToken stop)
    {
        int most = 0;
        while (!stop.IsCancellationRequested)
        {
            most = Math.Max(most, await fixture.ConnectionsAsync(application));
            try
            {
                await Task.Delay(5, stop);
            }
            catch (OperationCanceledException)
            {
            }
        }

        return most;
    }

    private async Task<Dictionary<int, long>> WrittenAsync()
    {
        await using var dataSource = NpgsqlDataSource.Create(fixture.Partition);
        await using NpgsqlCommand command = dataSource.CreateCommand($"select id, count(*) from writes where id >= {FirstId} group by id");
        var rows = new Dictionary<int, long>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(Token);
        while (await reader.ReadAsync(Token))
        {
            rows[reader.GetInt32(0)] = reader.GetInt64(1);
        }

        return rows;
    }
}

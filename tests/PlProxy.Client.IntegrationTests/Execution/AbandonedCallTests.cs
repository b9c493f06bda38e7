using System.Diagnostics;
using PlProxy.Client.Configuration;

namespace PlProxy.Client.IntegrationTests.Execution;

/// <summary>
/// A call left before its end — a <c>break</c> out of a stream, a cancelled token, an expired query_timeout, a failing
/// partition in a fan-out — stops every remote statement of the call at once, whatever is left of its result, and leaves
/// the pools usable. Each test measures the time from the moment the call is left to its return, and writes it to
/// <c>abandoned-calls.txt</c> beside this assembly. The class runs alone (<see cref="TimeBoundCollection"/>): its
/// bound is on time, and the other test classes running beside it would measure the machine, not the call.
/// </summary>
[Collection(nameof(TimeBoundCollection))]
public sealed class AbandonedCallTests(AbandonedCallFixture fixture) : IClassFixture<AbandonedCallFixture>
{
    // Reading what these statements produce takes many seconds (100M rows a partition, or a row every 10 ms for 40 s);
    // stopping them takes one cancel request and what was already in flight: typically well under a second, and the
    // bound leaves room for a loaded machine.
    private const long ManyFastRows = 100_000_000;
    private const long SlowRows = 4_000;
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(2.5);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private PlProxyDataSource Source(TimeSpan? queryTimeout = null) =>
        PlProxyDataSource.Create(new PlProxyOptions().AddCluster("rows", cluster =>
        {
            foreach (string partition in fixture.Partitions)
            {
                cluster.Partitions.Add(partition);
            }

            cluster.QueryTimeout = queryTimeout;
        }));

    [Fact]
    public async Task FanOutStream_BreakAfterTenFastRows_StopsEveryPartitionAtOnce()
    {
        await using PlProxyDataSource source = Source();
        TimeSpan stopped = await BreakAfterTenRowsAsync(source.CreateProxy<IRowSource>().AllFastAsync(ManyFastRows, Token));

        await AssertStoppedAsync(source, stopped, "break after 10 rows, RUN ON ALL over 4 x 100M fast rows");
    }

    [Fact]
    public async Task FanOutStream_BreakAfterTenSlowRows_StopsEveryPartitionAtOnce()
    {
        await using PlProxyDataSource source = Source();
        TimeSpan stopped = await BreakAfterTenRowsAsync(source.CreateProxy<IRowSource>().AllSlowAsync(SlowRows, Token));

        await AssertStoppedAsync(source, stopped, "break after 10 rows, RUN ON ALL over 4 x 40 s statements");
    }

    [Fact]
    public async Task SinglePartitionStream_BreakAfterTenRows_StopsTheStatement()
    {
        await using PlProxyDataSource source = Source();
        TimeSpan stopped = await BreakAfterTenRowsAsync(source.CreateProxy<IRowSource>().OneFastAsync(ManyFastRows, Token));

        await AssertStoppedAsync(source, stopped, "break after 10 rows, RUN ON 0 over 100M fast rows");
    }

    [Fact]
    public async Task FanOutStream_TokenCancelledAfterTenRows_StopsEveryPartitionAtOnce()
    {
        await using PlProxyDataSource source = Source();
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(Token);
        await using IAsyncEnumerator<long> rows = source.CreateProxy<IRowSource>().AllSlowAsync(SlowRows, cancellation.Token).GetAsyncEnumerator(cancellation.Token);
        for (int i = 0; i < 10; i++)
        {
            Assert.True(await rows.MoveNextAsync());
        }

        long cancelled = Stopwatch.GetTimestamp();
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            while (await rows.MoveNextAsync())
            {
            }
        });
        await rows.DisposeAsync();

        await AssertStoppedAsync(source, Stopwatch.GetElapsedTime(cancelled), "token cancelled after 10 rows, RUN ON ALL over 4 x 40 s statements");
    }

    [Fact]
    public async Task QueryTimeout_OnFanOutStream_CancelsEveryRemoteStatement()
    {
        await using PlProxyDataSource source = Source(queryTimeout: TimeSpan.FromSeconds(1));
        long started = Stopwatch.GetTimestamp();
        PlProxyException error = await Assert.ThrowsAsync<PlProxyException>(async () =>
        {
            await foreach (long _ in source.CreateProxy<IRowSource>().AllSlowAsync(SlowRows, Token))
            {
            }
        });

        Assert.Equal("57014", error.SqlState);
        Assert.Contains("the remote statements were cancelled", error.Message, StringComparison.Ordinal);
        await AssertStoppedAsync(source, Stopwatch.GetElapsedTime(started) - TimeSpan.FromSeconds(1), "query_timeout 1 s, RUN ON ALL stream over 4 x 40 s statements (time after the timeout)");
    }

    [Fact]
    public async Task QueryTimeout_OnSinglePartitionList_CancelsTheRemoteStatement()
    {
        await using PlProxyDataSource source = Source(queryTimeout: TimeSpan.FromSeconds(1));
        long started = Stopwatch.GetTimestamp();
        PlProxyException error = await Assert.ThrowsAsync<PlProxyException>(() => source.CreateProxy<IRowSource>().OneSlowListAsync(SlowRows, Token));

        Assert.Equal("57014", error.SqlState);
        await AssertStoppedAsync(source, Stopwatch.GetElapsedTime(started) - TimeSpan.FromSeconds(1), "query_timeout 1 s, RUN ON 0 list of a 40 s statement (time after the timeout)");
    }

    [Fact]
    public async Task FanOutList_FirstPartitionFails_StopsTheFastOthersAtOnce()
    {
        await using PlProxyDataSource source = Source();
        long started = Stopwatch.GetTimestamp();
        PlProxyException error = await Assert.ThrowsAsync<PlProxyException>(() => source.CreateProxy<IRowSource>().FirstFailsFastAsync(ManyFastRows, Token));

        Assert.Equal("22012", error.SqlState);
        await AssertStoppedAsync(source, Stopwatch.GetElapsedTime(started), "first of 4 partitions fails, the others 3 x 100M fast rows (whole call)");
    }

    [Fact]
    public async Task FanOutList_FirstPartitionFails_StopsTheSlowOthersAtOnce()
    {
        await using PlProxyDataSource source = Source();
        long started = Stopwatch.GetTimestamp();
        PlProxyException error = await Assert.ThrowsAsync<PlProxyException>(() => source.CreateProxy<IRowSource>().FirstFailsSlowAsync(SlowRows, Token));

        Assert.Equal("22012", error.SqlState);
        await AssertStoppedAsync(source, Stopwatch.GetElapsedTime(started), "first of 4 partitions fails, the others 3 x 40 s statements (whole call)");
    }

    [Fact]
    public async Task FanOutList_FirstPartitionFails_StopsOthersThatHaveSentNothingYet()
    {
        await using PlProxyDataSource source = Source();
        long started = Stopwatch.GetTimestamp();
        PlProxyException error = await Assert.ThrowsAsync<PlProxyException>(() => source.CreateProxy<IRowSource>().FirstFailsOthersSilentAsync(1, Token));

        Assert.Equal("22012", error.SqlState);
        await AssertStoppedAsync(source, Stopwatch.GetElapsedTime(started), "first of 4 partitions fails, the others 3 x 40 s before their first row (whole call)");
    }

    private static async Task<TimeSpan> BreakAfterTenRowsAsync(IAsyncEnumerable<long> stream)
    {
        long stopped = 0;
        int read = 0;
        await foreach (long _ in stream)
        {
            if (++read == 10)
            {
                stopped = Stopwatch.GetTimestamp();
                break;
            }
        }

        Assert.Equal(10, read);
        return Stopwatch.GetElapsedTime(stopped);
    }

    // The call returned promptly, left no statement running, and the pools serve the next call.
    private async Task AssertStoppedAsync(PlProxyDataSource source, TimeSpan stopped, string what)
    {
        int active = await fixture.ActiveStatementsAsync(Token);
        await File.AppendAllTextAsync(Path.Combine(AppContext.BaseDirectory, "abandoned-calls.txt"), $"{what}: returned after {stopped.TotalMilliseconds:0} ms, active statements left {active}{Environment.NewLine}", Token);

        Assert.True(stopped < Prompt, $"{what}: returned after {stopped.TotalMilliseconds:0} ms");
        Assert.Equal(0, active);
        Assert.Equal([7L, 7L, 7L, 7L], await source.CreateProxy<IRowSource>().EchoAllAsync(7, Token));
    }
}

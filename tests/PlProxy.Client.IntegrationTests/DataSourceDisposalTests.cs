using System.Diagnostics;
using PlProxy.Client.IntegrationTests.Execution;

namespace PlProxy.Client.IntegrationTests;

/// <summary>
/// A data source disposed while calls run (a host shutting down under load): a call whose statement was sent
/// finishes, and every call still waiting for a connection fails at once, sent nowhere, with the error a later call
/// gets — not, once the running call ends, as a failure of the partition.
/// </summary>
[Collection(CoalescingFixture.Collection)]
public sealed class DataSourceDisposalTests(CoalescingFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    // Well under the holding call's 3 s: what fails within it did not wait for the connection to come free.
    private static readonly TimeSpan AtOnce = TimeSpan.FromSeconds(1.5);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Dispose_WhileCallsQueueForACappedPartition_FailsEveryQueuedCallAtOnceSendingNoneAndLetsTheRunningOneFinish()
    {
        PlProxyDataSource source = fixture.Create("dispose-queued", cluster => cluster.MaxConnectionsPerPartition = 1);
        ICappedDb db = source.CreateProxy<ICappedDb>();
        Task<int> holder = db.SlowEchoAsync(-1, 3, Token);
        await fixture.WaitUntilRunningAsync("dispose-queued", "slow_echo", Token);
        Task[] queued =
        [
            .. Enumerable.Range(0, 5).Select(i => db.EchoAsync(i, Token)), // would share a round trip
            .. Enumerable.Range(8100, 3).Select(id => db.WriteOnceAsync(id, 0, Token)),
            db.OwnTransactionAsync(Token), // not coalesced: waits for a connection of its own
            ReadAllAsync(db.StreamSeriesAsync(3, Token)), // a stream: a connection of its own too
            db.PartialEchoAsync(7, Token),
        ];
        await Task.Delay(200, Token);
        var clock = Stopwatch.StartNew();

        await source.DisposeAsync().AsTask().WaitAsync(Bound, Token);

        foreach (Task call in queued)
        {
            ObjectDisposedException error = await Assert.ThrowsAsync<ObjectDisposedException>(() => call).WaitAsync(Bound, Token);
            Assert.Equal("PlProxy.Client.PlProxyDataSource", error.ObjectName);
        }

        Assert.True(clock.Elapsed < AtOnce, $"the queued calls failed {clock.Elapsed} after the data source was disposed");
        Assert.False(holder.IsCompleted, "the running call ended before the queued calls failed");
        Assert.Equal(-1, await holder.WaitAsync(Bound, Token)); // sent before the disposal: it finishes
        Assert.Empty(await fixture.WrittenAsync(8100, 8102)); // none of the queued writes was sent
        await Assert.ThrowsAsync<ObjectDisposedException>(() => db.EchoAsync(1, Token));
        await WaitForNoConnectionsAsync("dispose-queued"); // the running call's connection closed once it was done
    }

    [Fact]
    public async Task Dispose_WhileCallsWaitForTheHostsConnectionBudget_FailsThemAtOnceSendingNone()
    {
        PlProxyDataSource source = fixture.Create(
            "dispose-budget",
            cluster => cluster.MaxConnectionsPerPartition = null,
            options => options.MaxConnectionsPerHost = 1);
        ICappedDb db = source.CreateProxy<ICappedDb>();
        Task<int> holder = db.SlowEchoAsync(-1, 3, Token);
        await fixture.WaitUntilRunningAsync("dispose-budget", "slow_echo", Token);
        Task<long>[] waiting = [.. Enumerable.Range(8200, 4).Select(id => db.WriteOnceAsync(id, 0, Token))];
        await Task.Delay(200, Token);
        var clock = Stopwatch.StartNew();

        await source.DisposeAsync().AsTask().WaitAsync(Bound, Token);

        foreach (Task<long> call in waiting)
        {
            ObjectDisposedException error = await Assert.ThrowsAsync<ObjectDisposedException>(() => call).WaitAsync(Bound, Token);
            Assert.Equal("PlProxy.Client.PlProxyDataSource", error.ObjectName);
        }

        Assert.True(clock.Elapsed < AtOnce, $"the waiting calls failed {clock.Elapsed} after the data source was disposed");
        Assert.False(holder.IsCompleted, "the running call ended before the waiting calls failed");
        Assert.Equal(-1, await holder.WaitAsync(Bound, Token));
        Assert.Empty(await fixture.WrittenAsync(8200, 8203));
        await WaitForNoConnectionsAsync("dispose-budget");
    }

    [Fact]
    public async Task EveryEntryPoint_OfADisposedDataSource_ThrowsObjectDisposedNamingIt()
    {
        PlProxyDataSource source = fixture.Create("dispose-entry", cluster => cluster.MaxConnectionsPerPartition = 1);
        ICappedDb db = source.CreateProxy<ICappedDb>();
        Assert.Equal(1, await db.EchoAsync(1, Token));
        var command = new PlProxyCommand("echo", "CLUSTER 'capped'; RUN ON 0;").Add("value", 2);

        await source.DisposeAsync();

        Func<Task>[] entries =
        [
            () => db.EchoAsync(3, Token),
            () => source.ExecuteScalarAsync<int>(command, Token),
            () => source.ExecuteAsync(command, Token),
            () => source.QueryAsync(command, r => r.GetInt32(0), Token),
            async () => await source.GetPartitionAsync("capped", 0, Token),
            () => source.RefreshAsync(Token),
            () => Task.FromResult(source.CreateProxy<ICappedDb>()),
            () => Task.Run(() => source.Reconfigure(fixture.Options("dispose-entry", cluster => cluster.MaxConnectionsPerPartition = 2)), Token),
        ];
        foreach (Func<Task> entry in entries)
        {
            ObjectDisposedException error = await Assert.ThrowsAsync<ObjectDisposedException>(entry).WaitAsync(Bound, Token);
            Assert.Equal("PlProxy.Client.PlProxyDataSource", error.ObjectName);
        }

        await source.DisposeAsync(); // a second disposal is harmless
    }

    private static async Task<List<int>> ReadAllAsync(IAsyncEnumerable<int> rows)
    {
        var all = new List<int>();
        await foreach (int row in rows)
        {
            all.Add(row);
        }

        return all;
    }

    private async Task WaitForNoConnectionsAsync(string application)
    {
        for (int i = 0; i < 100 && await fixture.ConnectionsAsync(application) > 0; i++)
        {
            await Task.Delay(100, Token);
        }

        Assert.Equal(0, await fixture.ConnectionsAsync(application));
    }
}

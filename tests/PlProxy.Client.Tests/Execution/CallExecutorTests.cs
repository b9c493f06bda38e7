using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Diagnostics;
using PlProxy.Client.Configuration;
using PlProxy.Client.Execution;
using PlProxy.Client.Planning;

namespace PlProxy.Client.Tests.Execution;

/// <summary>The executor's rules over the partition seam, with no server: fan-out order, first failure, partial results.</summary>
public sealed class CallExecutorTests
{
    private const string AllBody = "CLUSTER 'c4'; RUN ON ALL;";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    // Each partition answers with its own number after its own delay, or fails, as the test scripts it.
    private sealed class ScriptedExecutor(Func<PartitionRequest, CancellationToken, Task<DbDataReader>> answer) : IPartitionExecutor
    {
        public ConcurrentBag<int> Cancelled { get; } = [];

        public async ValueTask<DbDataReader> ExecuteAsync(PartitionRequest request, CancellationToken cancellationToken)
        {
            try
            {
                return await answer(request, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Cancelled.Add(request.Partition);
                throw;
            }
        }
    }

    private static DbDataReader Rows(params int[] values)
    {
        var table = new DataTable();
        table.Columns.Add("r", typeof(int));
        foreach (int value in values)
        {
            table.Rows.Add(value);
        }

        return table.CreateDataReader();
    }

    private static PlProxyDataSource Source(IPartitionExecutor executor) =>
        PlProxyDataSource.Create(new PlProxyOptions().AddCluster("c4", "Host=p0", "Host=p1", "Host=p2", "Host=p3"), executor);

    [Fact]
    public async Task FanOut_RowsComeInPartitionOrder_WhateverOrderThePartitionsAnswerIn()
    {
        // Partition 3 answers first, partition 0 last.
        var executor = new ScriptedExecutor(async (request, token) =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(40 * (3 - request.Partition)), token);
            return Rows(request.Partition * 10, (request.Partition * 10) + 1);
        });
        await using PlProxyDataSource source = Source(executor);

        IReadOnlyList<int> rows = await source.QueryAsync(new PlProxyCommand("f", AllBody), r => r.GetInt32(0), Token);

        Assert.Equal([0, 1, 10, 11, 20, 21, 30, 31], rows);
    }

    [Fact]
    public async Task FanOut_FirstFailure_IsThrownAndCancelsEveryOtherPartition()
    {
        var executor = new ScriptedExecutor(async (request, token) =>
        {
            if (request.Partition == 2)
            {
                throw new PlProxyException("partition 2 is broken", "XX001");
            }

            await Task.Delay(TimeSpan.FromSeconds(30), token);
            return Rows(request.Partition);
        });
        await using PlProxyDataSource source = Source(executor);
        long started = Stopwatch.GetTimestamp();

        var error = await Assert.ThrowsAsync<PlProxyException>(() => source.QueryAsync(new PlProxyCommand("f", AllBody), r => r.GetInt32(0), Token));

        Assert.Equal("XX001", error.SqlState);
        Assert.Equal([0, 1, 3], executor.Cancelled.Order());
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(10), "the other partitions were waited for, not cancelled");
    }

    [Theory]
    [InlineData(0, "P0002")]
    [InlineData(2, "P0003")]
    public async Task SingleRowCall_NeedsExactlyOneRow(int rowCount, string sqlState)
    {
        var executor = new ScriptedExecutor((request, _) => Task.FromResult(Rows([.. Enumerable.Range(0, rowCount)])));
        await using PlProxyDataSource source = Source(executor);

        var error = await Assert.ThrowsAsync<PlProxyException>(() => source.ExecuteScalarAsync<int>(new PlProxyCommand("f", "CLUSTER 'c4'; RUN ON 1;"), Token));

        Assert.Equal((sqlState, $"f(0): Non-SETOF function requires 1 row from remote query, got {rowCount}"), (error.SqlState, error.Message));
    }

    [Fact]
    public async Task Stream_YieldsEveryPartitionsRows_AndStopsTheRestWhenLeft()
    {
        var executor = new ScriptedExecutor(async (request, token) =>
        {
            if (request.Partition != 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(30), token); // still running when the caller leaves
            }

            return Rows(1, 2, 3);
        });
        await using PlProxyDataSource source = Source(executor);

        await foreach (int row in source.Executor.StreamAsync(SetOfInt4(), [], RowReader<int>.ByPosition(r => r.GetInt32(0)), Token))
        {
            Assert.Equal(1, row);
            break;
        }

        Assert.Equal([1, 2, 3], executor.Cancelled.Order());
    }

    [Fact]
    public async Task Partial_KeepsTheRowsOfThePartitionsThatAnswered_AndOneErrorPerFailedOne()
    {
        var executor = new ScriptedExecutor((request, _) => request.Partition % 2 == 1
            ? Task.FromException<DbDataReader>(new PlProxyException($"partition {request.Partition} is down", "08006"))
            : Task.FromResult(Rows(request.Partition)));
        await using PlProxyDataSource source = Source(executor);

        PlProxyPartialResult<int> result = await source.Executor.PartialAsync(SetOfInt4(), [], RowReader<int>.ByPosition(r => r.GetInt32(0)), Token);

        Assert.Equal([0, 2], result.Rows);
        Assert.Equal(["partition 1 is down", "partition 3 is down"], result.Errors.Select(e => e.Message).Order(StringComparer.Ordinal));
        Assert.Equal((4, false), (result.PartitionsCalled, result.IsComplete));
    }

    private static RemoteCall SetOfInt4() =>
        RemoteCall.Bind("f", null, AllBody, false, [], returnsSet: true, "int4", isVoid: false, [], idempotent: false);
}

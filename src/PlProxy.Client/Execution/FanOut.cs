using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace PlProxy.Client.Execution;

/// <summary>
/// A call on several databases at once: every target concurrently, rows concatenated in plan order (lists) or passed
/// on as they arrive through a bounded buffer (streams); the first failure cancels the others, whose statements stop —
/// except for a partial result, where every target runs to its end and failures are collected.
/// </summary>
internal static class FanOut
{
    private const int StreamBufferRows = 256;

    // Runs every target concurrently and concatenates their rows in plan order; the first failure cancels the rest.
    // A SPLIT target a partconf fence refused wrote nothing: the others run to their end, and the fenced targets'
    // elements come back to be planned again.
    public static async Task<FanOutRows<T>> ReadAllAsync<T>(Partitions partitions, Route route, RowReader<T> read, CancellationToken cancellationToken)
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var fanOut = new Collected<T>(route.Plan.Count, cancellation) { SendsFencesBack = route.Call.Function.SplitParameters.Count > 0 };
        var tasks = new Task[route.Plan.Count];
        for (int i = 0; i < tasks.Length; i++)
        {
            tasks[i] = ReadIntoAsync(partitions, route, i, read, fanOut);
        }

        await Task.WhenAll(tasks).ConfigureAwait(false); // never faults: each target hands its failure to the fan-out
        if (fanOut.FirstFailure is { } failure)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        int count = 0;
        foreach (List<T>? part in fanOut.Rows)
        {
            count += part?.Count ?? 0;
        }

        var rows = new List<T>(count);
        var fencedRows = new List<int>();
        for (int target = 0; target < fanOut.Rows.Length; target++)
        {
            if (fanOut.Rows[target] is { } part)
            {
                rows.AddRange(part);
            }
            else
            {
                fencedRows.AddRange(route.Plan[target].Rows ?? []);
            }
        }

        fencedRows.Sort(); // the elements in the call's order
        return new FanOutRows<T>(rows, fanOut.Fence is null ? null : [.. fencedRows], fanOut.Fence);
    }

    // Runs every target concurrently to its end, tolerating failures (a partial result): the rows of the targets that
    // answered, in plan order, and each failed target's error (a query_timeout as its own error); the caller's own
    // cancellation is thrown.
    public static async Task<(List<T> Rows, List<PlProxyException> Errors)> ReadEachAsync<T>(Partitions partitions, Route route, RowReader<T> read, Func<bool> timedOut, CancellationToken callerToken, CancellationToken cancellationToken)
    {
        var tasks = new Task<List<T>>[route.Plan.Count];
        for (int i = 0; i < tasks.Length; i++)
        {
            tasks[i] = partitions.ReadAsync(route, i, read, cancellationToken).AsTask();
        }

        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (Exception) when (!callerToken.IsCancellationRequested)
        {
            // Looked at per target below.
        }

        var rows = new List<T>();
        var errors = new List<PlProxyException>();
        foreach (Task<List<T>> task in tasks)
        {
            if (task.IsCompletedSuccessfully)
            {
                rows.AddRange(task.Result);
            }
            else if (task.Exception?.InnerException is PlProxyException error)
            {
                errors.Add(error);
            }
            else if (task.IsCanceled && timedOut())
            {
                errors.Add(RemoteErrors.QueryTimeout(route, new OperationCanceledException()));
            }
            else
            {
                await task.ConfigureAwait(false); // anything else (the caller's cancellation) is thrown
            }
        }

        return (rows, errors);
    }

    // One target of a fan-out: its rows into its slot, or its failure; the first failure cancels the other targets.
    private static async Task ReadIntoAsync<T>(Partitions partitions, Route route, int target, RowReader<T> read, Collected<T> fanOut)
    {
        try
        {
            fanOut.Rows[target] = await partitions.ReadAsync(route, target, read, fanOut.Cancellation.Token).ConfigureAwait(false);
        }
        catch (PlProxyException e) when (fanOut.SendsFencesBack && e.SqlState == PlProxySqlStates.WrongPartition)
        {
            Interlocked.CompareExchange(ref fanOut.Fence, e, null); // its slot stays empty: its elements are planned again
        }
        catch (Exception e)
        {
            if (Interlocked.CompareExchange(ref fanOut.FirstFailure, e, null) is null)
            {
                await fanOut.Cancellation.CancelAsync().ConfigureAwait(false);
            }

            // Later failures are the others being cancelled because of the first (or failing after it): not reported.
        }
    }

    /// <summary>The shared state of one fan-out: a slot of rows per target, the first failure and the cancellation it triggers, the first fence.</summary>
    private sealed class Collected<T>(int targets, CancellationTokenSource cancellation)
    {
        public Exception? FirstFailure;

        public PlProxyException? Fence;

        public bool SendsFencesBack { get; init; }

        public List<T>?[] Rows { get; } = new List<T>?[targets];

        public CancellationTokenSource Cancellation { get; } = cancellation;
    }

    // Several databases: every database's rows go into one bounded buffer as they arrive, so memory stays
    // bounded whatever the result size; the first failure cancels the rest and ends the stream with it.
    public static async IAsyncEnumerable<T> StreamAllAsync<T>(Partitions partitions, Route route, RowReader<T> read, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var channel = Channel.CreateBounded<T>(new BoundedChannelOptions(StreamBufferRows) { SingleReader = true });
        Task[] producers = new Task[route.Plan.Count];
        for (int i = 0; i < producers.Length; i++)
        {
            producers[i] = ProduceAsync(partitions, route, i, read, channel.Writer, cancellation);
        }

        Task completion = CompleteWhenDoneAsync(producers, channel.Writer);
        try
        {
            await foreach (T row in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return row;
            }
        }
        finally
        {
            await cancellation.CancelAsync().ConfigureAwait(false);
            await completion.ConfigureAwait(false);
        }
    }

    private static async Task ProduceAsync<T>(Partitions partitions, Route route, int target, RowReader<T> read, ChannelWriter<T> writer, CancellationTokenSource cancellation)
    {
        try
        {
            await foreach (T row in partitions.StreamAsync(route, target, read, cancellation.Token).ConfigureAwait(false))
            {
                await writer.WriteAsync(row, cancellation.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // Stopped: another database failed, the consumer stopped reading, or the caller cancelled.
        }
        catch (Exception e)
        {
            writer.TryComplete(e); // the first failure ends the stream; later ones are ignored
            await cancellation.CancelAsync().ConfigureAwait(false);
        }
    }

    // Never throws: a producer's failure has already completed the channel with it.
    private static async Task CompleteWhenDoneAsync<T>(Task[] producers, ChannelWriter<T> writer)
    {
        try
        {
            await Task.WhenAll(producers).ConfigureAwait(false);
            writer.TryComplete();
        }
        catch (Exception e)
        {
            writer.TryComplete(e);
        }
    }
}

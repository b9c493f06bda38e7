using System.Diagnostics;
using Npgsql;
using PlProxy.Client.Connections;
using PlProxy.Client.Telemetry;

namespace PlProxy.Client.Execution;

/// <summary>
/// One database's part of a call, waiting at its partition's gate because every connection was busy: either for a
/// connection of its own (a stream, a call that is not coalesced) or to go to the server in one round trip with the
/// calls that waited beside it, its rows read by <see cref="PartitionBatch"/>.
/// </summary>
internal sealed class QueuedCall(Attempt attempt, RowReader? rows) : GateWaiter
{
    /// <summary>What a waiter handed a slot receives (one of its own, or a sharing one that waited alone): the slot, not rows.</summary>
    public static readonly object Granted = new();

    private readonly TaskCompletionSource<object> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private SharedRoundTrip? _sentIn;

    public override bool SharesRoundTrip => rows is not null;

    public override bool Quick => Attempt.Quick; // only a call that shares round trips is marked quick

    /// <summary>The call's part at this database: its statement and arguments.</summary>
    public Attempt Attempt { get; } = attempt;

    /// <summary>How its rows are read (null for a waiter of its own).</summary>
    public RowReader Rows => rows!;

    /// <summary>True once the caller has its outcome, or left (cancelled): a batch not yet sent leaves it out.</summary>
    public bool IsDone => _done.Task.IsCompleted;

    public override bool Grant() => _done.TrySetResult(Granted);

    public void Complete(System.Collections.IList result) => _done.TrySetResult(result);

    public override void Fail(Exception error) => _done.TrySetException(error);

    /// <summary>
    /// The round trip the call is in while it runs (null once it ended), told when the caller leaves it. A full fence:
    /// the round trip then looks whether its callers all left, while a caller leaving completes the call first and then
    /// looks for its round trip, so the last caller's leaving is seen by one of them.
    /// </summary>
    public void SentIn(SharedRoundTrip? roundTrip) => Interlocked.Exchange(ref _sentIn, roundTrip);

    /// <summary>The error of a call whose turn at <paramref name="gate"/> did not come within <paramref name="timeout"/> (53300).</summary>
    public static PlProxyException Busy(PartitionGate gate, TimeSpan timeout) => new(
        $"All {gate.Slots} connections to partition database {gate.Database} stayed busy for {timeout.TotalSeconds:0.###} s; raise MaxConnectionsPerPartition or ConnectionBudgetTimeout, or lower the load.",
        PostgresErrorCodes.TooManyConnections);

    /// <summary>
    /// Queues at <paramref name="gate"/> and waits: <see cref="Granted"/> (the caller now holds a slot), or the call's
    /// rows. A quick call still queued after <see cref="PartitionGate.SpillAfter"/> has the queue served beside the round
    /// trip in flight when a sharing slot is free. A call still queued after <paramref name="timeout"/> leaves the queue
    /// and fails with SQLSTATE 53300; one cancelled while queued leaves it; one cancelled once sent is abandoned (its
    /// statement runs on with its batch, which is stopped once all its callers have left).
    /// </summary>
    public async Task<object> WaitAsync(PartitionGate gate, NpgsqlDataSource dataSource, TimeSpan timeout, CancellationToken cancellationToken)
    {
        long queued = Stopwatch.GetTimestamp();
        if (gate.Enqueue(this) is { } batch)
        {
            PartitionBatch.Start(gate, dataSource, batch);
        }

        TimeSpan remaining = timeout;
        try
        {
            try
            {
                if (Quick && timeout > PartitionGate.SpillAfter)
                {
                    try
                    {
                        return await _done.Task.WaitAsync(PartitionGate.SpillAfter, cancellationToken).ConfigureAwait(false);
                    }
                    catch (TimeoutException)
                    {
                        // The round trip in flight is held up: what queues goes beside it, if a sharing slot is free.
                        remaining -= PartitionGate.SpillAfter;
                        if (gate.Spill() is { } spilled)
                        {
                            PartitionBatch.Start(gate, dataSource, spilled);
                        }
                    }
                }

                return await _done.Task.WaitAsync(remaining, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException) when (gate.TryRemove(this))
            {
                throw Busy(gate, timeout);
            }
            catch (TimeoutException)
            {
                return await _done.Task.WaitAsync(cancellationToken).ConfigureAwait(false); // served meanwhile: its outcome is on its way
            }
        }
        catch (OperationCanceledException) when (!gate.TryRemove(this))
        {
            // Served already (or refused by a closed gate). A batch call is abandoned (its batch leaves it out or completes
            // it unseen); a waiter of its own that was served under the gate's lock has its slot for certain: given back
            // once handed over.
            if (!SharesRoundTrip)
            {
                _ = _done.Task.ContinueWith(
                    static (handed, state) =>
                    {
                        if (handed.IsCompletedSuccessfully)
                        {
                            var (gate, dataSource) = ((PartitionGate, NpgsqlDataSource))state!;
                            GateSlot.Release(gate, dataSource, shared: false);
                        }
                    },
                    (gate, dataSource),
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
                throw;
            }

            if (_done.TrySetCanceled(cancellationToken))
            {
                Volatile.Read(ref _sentIn)?.CallerLeft(); // the last caller of a round trip stops it
                throw new AbandonedCallException(cancellationToken); // it may already be on the server
            }

            return await _done.Task.ConfigureAwait(false); // its outcome came meanwhile
        }
        finally
        {
            if (PlProxyTelemetry.QueueWait.Enabled)
            {
                PlProxyTelemetry.QueueWait.Record(Stopwatch.GetElapsedTime(queued).TotalSeconds, gate.Tags);
            }
        }
    }
}

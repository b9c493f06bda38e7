using System.Diagnostics;
using PlProxy.Client.Telemetry;

namespace PlProxy.Client.Connections;

/// <summary>
/// The connections one data source may hold to one partition database: at most <see cref="Slots"/> in use at once. A
/// call that finds a slot free takes it; one that finds them all busy queues, in arrival order. A slot given back goes
/// to what waits first: a call that needs a connection of its own (a stream, a method that is not coalesced), or a
/// sharing call that waits alone, is handed the slot; calls that may share a round trip leave the queue together, up
/// to <see cref="MaxBatch"/>, and run on the slot as one batch. Waiters are served outside the lock.
/// </summary>
internal sealed class PartitionGate(int slots, int maxBatch, string database, (string? Address, int Port) server = default)
{
    private readonly Queue<GateWaiter> _queue = new();
    private int _inUse;

    /// <summary>The most connections in use at once.</summary>
    public int Slots { get; } = slots;

    /// <summary>The most queued calls one round trip carries.</summary>
    public int MaxBatch { get; } = maxBatch;

    /// <summary>The database the slots are connections to (for errors and telemetry).</summary>
    public string Database { get; } = database;

    /// <summary>The tags of the gate's metrics: the database and its server, as OpenTelemetry's database conventions name them.</summary>
    public TagList Tags => new()
    {
        { TelemetryNames.DbNamespace, Database },
        { TelemetryNames.ServerAddress, server.Address },
        { TelemetryNames.ServerPort, server.Port },
    };

    /// <summary>The slots in use now (for tests and telemetry).</summary>
    public int InUse => Volatile.Read(ref _inUse);

    /// <summary>Takes a free slot when nothing queues before the caller; false when the caller must queue.</summary>
    public bool TryEnter()
    {
        lock (_queue)
        {
            if (_inUse < Slots && _queue.Count == 0)
            {
                _inUse++;
                Count(1);
                return true;
            }

            return false;
        }
    }

    /// <summary>
    /// Queues <paramref name="waiter"/>; when a slot is free (one was given back since <see cref="TryEnter"/>), the
    /// queue's head is served at once, as by <see cref="Release"/>: the batch returned is the caller's to run.
    /// </summary>
    public List<GateWaiter>? Enqueue(GateWaiter waiter)
    {
        List<GateWaiter>? batch;
        lock (_queue)
        {
            _queue.Enqueue(waiter);
            if (_inUse >= Slots)
            {
                return null;
            }

            _inUse++;
            batch = TakeNext();
            if (batch is null)
            {
                _inUse--;
                return null;
            }

            Count(1);
        }

        return Serve(batch);
    }

    /// <summary>Takes <paramref name="waiter"/> out of the queue if it is still there (cancelled or waited too long); false once it was served.</summary>
    public bool TryRemove(GateWaiter waiter)
    {
        lock (_queue)
        {
            if (waiter.State != GateWaiter.Queued)
            {
                return false;
            }

            waiter.State = GateWaiter.Removed;
            return true; // left in the queue, skipped when it comes up
        }
    }

    /// <summary>
    /// Gives a slot back. When calls queue, the slot stays taken and goes to them: a waiter of its own is handed it;
    /// calls that share a round trip are returned, to run on it as one batch (the caller runs them, then gives the slot
    /// back again). Null when the slot is free or was handed on.
    /// </summary>
    public List<GateWaiter>? Release()
    {
        List<GateWaiter>? batch;
        lock (_queue)
        {
            batch = TakeNext();
            if (batch is null)
            {
                _inUse--;
                Count(-1);
                return null;
            }
        }

        return Serve(batch);
    }

    private void Count(int change)
    {
        if (PlProxyTelemetry.ConnectionsInUse.Enabled)
        {
            PlProxyTelemetry.ConnectionsInUse.Add(change, Tags);
        }
    }

    // Called under the lock with a slot taken: the next live waiter alone (it needs a connection of its own), or the
    // run of sharing waiters at the head of the queue; null when nothing live queues.
    private List<GateWaiter>? TakeNext()
    {
        List<GateWaiter>? batch = null;
        while (_queue.TryPeek(out GateWaiter? next))
        {
            if (next.State == GateWaiter.Removed)
            {
                _queue.Dequeue();
                continue;
            }

            if (!next.SharesRoundTrip && batch is not null)
            {
                break; // it waits for the next slot
            }

            _queue.Dequeue();
            next.State = GateWaiter.Served;
            (batch ??= []).Add(next);
            if (!next.SharesRoundTrip || batch.Count == MaxBatch)
            {
                break;
            }
        }

        return batch;
    }

    // Outside the lock: a waiter alone is handed the slot (it gives it back; one that left meanwhile passes the slot
    // on), sharing waiters are returned to run on it together.
    private List<GateWaiter>? Serve(List<GateWaiter>? batch)
    {
        if (batch is [var alone])
        {
            return alone.Grant() ? null : Release();
        }

        return batch;
    }
}

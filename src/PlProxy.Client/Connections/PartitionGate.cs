using System.Diagnostics;
using PlProxy.Client.Telemetry;

namespace PlProxy.Client.Connections;

/// <summary>
/// The connections one data source may hold to one partition database: at most <see cref="Slots"/> in use at once,
/// of which calls that may share a round trip hold at most <see cref="SharedSlots"/> (half, at least one); the rest
/// serve calls that need a connection of their own (a stream, a method that is not coalesced, a long call), so
/// those never wait behind a queue of fast calls, nor fast calls behind them. Quick calls (a method known to take
/// less than <see cref="QuickCallMilliseconds"/>) start a second sharing round trip beside one in flight only when
/// <see cref="SpillAt"/> of them wait, or one has waited <see cref="SpillAfter"/>: until then they wait and go together
/// on the connection that comes free, which costs the server less per call than a connection each. A call that finds
/// a slot it may take takes it; otherwise it queues, in arrival order. A slot given back goes to what waits first: a
/// call that needs a connection of its own, or a sharing call that waits alone, is handed the slot; calls that may
/// share a round trip leave the queue together, up to <see cref="MaxBatch"/>, and run on the slot as one batch. When
/// the sharing slots are all taken, a slot given back passes over sharing calls to the first call of its own behind
/// them. Waiters are served outside the lock. A gate closed with its data source fails what queues and refuses what
/// comes (nothing of it was sent); calls holding slots finish.
/// </summary>
internal sealed class PartitionGate(int slots, int maxBatch, string database, (string? Address, int Port) server = default)
{
    private readonly Queue<GateWaiter> _queue = new();
    private int _inUse;
    private int _sharedInUse; // slots held by calls that may share a round trip (alone or as a batch)
    private int _ownQueued; // queued waiters that need a connection of their own
    private int _sharedQueued; // queued waiters that may share a round trip
    private bool _closed;

    /// <summary>The most connections in use at once.</summary>
    public int Slots { get; } = slots;

    /// <summary>
    /// The most slots calls that may share a round trip hold at once: half of <see cref="Slots"/>, at least one. With
    /// fewer connections busy, more calls wait and go together in one round trip, which costs the server less per
    /// call; the other slots stay for calls that must not share one.
    /// </summary>
    public int SharedSlots { get; } = Math.Max(1, (slots + 1) / 2);

    private int _maxBatch = maxBatch;

    /// <summary>
    /// The most queued calls one round trip carries: the <c>MaxCallsPerRoundTrip</c> of the cluster that acquired the
    /// gate's pool last (a reloaded cluster's new value applies to the pool it keeps).
    /// </summary>
    public int MaxBatch
    {
        get => Volatile.Read(ref _maxBatch);
        set => Volatile.Write(ref _maxBatch, value);
    }

    /// <summary>
    /// A method whose calls take less than this on average (from sending the statement to its last row) is quick: its
    /// calls gain more from sharing a round trip than from running beside one. A loopback or same-rack round trip with
    /// a lookup or small write takes well under it; a call long enough to be worth a second connection, over it.
    /// </summary>
    public const double QuickCallMilliseconds = 2;

    /// <summary>How many sharing calls wait before quick ones start a second round trip beside one in flight: half a batch, at least two.</summary>
    public int SpillAt => Math.Max(2, MaxBatch / 2);

    /// <summary>
    /// How long a quick call waits for the sharing round trip in flight before the queue goes beside it all the same:
    /// a round trip of quick calls that takes longer is held up (a lock wait, a slow plan), and what queues behind it
    /// should not wait for it.
    /// </summary>
    public static readonly TimeSpan SpillAfter = TimeSpan.FromMilliseconds(20);

    /// <summary>The database the slots are connections to (for errors and telemetry).</summary>
    public string Database { get; } = database;

    /// <summary>The tags of the gate's metrics: the database and its server, as OpenTelemetry's database conventions name them.</summary>
    public TagList Tags => new()
    {
        { TelemetryNames.DbNamespace, Database },
        { TelemetryNames.ServerAddress, server.Address },
        { TelemetryNames.ServerPort, server.Port },
    };

    /// <summary>
    /// Held by a call that takes several of the gate's slots to hold them at once (an ordered merge over a database its
    /// cluster lists more than once, in connection strings written differently) while it takes them, so that no two such
    /// calls each hold some while they wait for the rest.
    /// </summary>
    public SemaphoreSlim Gathering { get; } = new(1, 1);

    /// <summary>The slots in use now (for tests and telemetry).</summary>
    public int InUse => Volatile.Read(ref _inUse);

    /// <summary>
    /// Takes a free slot when the caller may: a call that may share a round trip (<paramref name="shares"/>) when a
    /// sharing slot is free and nothing queues before it — a <paramref name="quick"/> one only when no sharing round
    /// trip is in flight; a call of its own when a slot is free and no call of its own queues before it. False when the
    /// caller must queue.
    /// </summary>
    public bool TryEnter(bool shares, bool quick = false)
    {
        lock (_queue)
        {
            if (_inUse >= Slots || (shares ? _queue.Count > 0 || _sharedInUse >= SharedSlots || (quick && _sharedInUse > 0) : _ownQueued > 0))
            {
                return false;
            }

            _inUse++;
            if (shares)
            {
                _sharedInUse++;
            }

            Count(1);
            return true;
        }
    }

    /// <summary>
    /// Queues <paramref name="waiter"/>; when a slot is free (one was given back since <see cref="TryEnter"/>), the
    /// queue is served at once, as by <see cref="Release"/>: the batch returned is the caller's to run.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The gate was closed: its data source was disposed.</exception>
    public List<GateWaiter>? Enqueue(GateWaiter waiter)
    {
        List<GateWaiter>? batch;
        lock (_queue)
        {
            if (_closed)
            {
                throw PoolRegistry.Disposed();
            }

            _queue.Enqueue(waiter);
            if (waiter.SharesRoundTrip)
            {
                _sharedQueued++;
            }
            else
            {
                _ownQueued++;
            }

            batch = TakeFreeSlot(spill: false);
        }

        return batch is null ? null : Serve(batch);
    }

    /// <summary>
    /// A quick call waited <see cref="SpillAfter"/> for the sharing round trip in flight: when a sharing slot is free,
    /// the queue is served on it beside the round trip, as by <see cref="Release"/>. The batch returned is the caller's to run.
    /// </summary>
    public List<GateWaiter>? Spill()
    {
        List<GateWaiter>? batch;
        lock (_queue)
        {
            batch = TakeFreeSlot(spill: true);
        }

        return batch is null ? null : Serve(batch);
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
            if (waiter.SharesRoundTrip)
            {
                _sharedQueued--;
            }
            else
            {
                _ownQueued--;
            }

            return true; // left in the queue, skipped when it comes up
        }
    }

    /// <summary>
    /// Closes the gate as its data source is disposed: every call still queued fails with
    /// <see cref="ObjectDisposedException"/> (none of them was sent), and calls that come later are refused so. Calls
    /// holding slots finish; the slots they give back go to nothing.
    /// </summary>
    public void Close()
    {
        List<GateWaiter> queued = [];
        lock (_queue)
        {
            _closed = true;
            foreach (GateWaiter waiter in _queue)
            {
                if (waiter.State == GateWaiter.Queued)
                {
                    waiter.State = GateWaiter.Removed;
                    queued.Add(waiter);
                }
            }

            _queue.Clear();
            _ownQueued = 0;
            _sharedQueued = 0;
        }

        foreach (GateWaiter waiter in queued)
        {
            waiter.Fail(PoolRegistry.Disposed());
        }
    }

    /// <summary>
    /// Gives a slot back (<paramref name="shared"/>: its holder was a call that may share a round trip, alone or as a
    /// batch). When calls queue that may take it, the slot stays taken and goes to them: a waiter of its own is handed
    /// it; calls that share a round trip are returned, to run on it as one batch (the caller runs them, then gives the
    /// slot back again). Null when the slot is free or was handed on.
    /// </summary>
    public List<GateWaiter>? Release(bool shared)
    {
        List<GateWaiter>? batch;
        lock (_queue)
        {
            if (shared)
            {
                _sharedInUse--;
            }

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

    // Called under the lock: a slot not in use (when there is one) taken for what queues, if anything may take it.
    private List<GateWaiter>? TakeFreeSlot(bool spill)
    {
        if (_inUse >= Slots || TakeNext(spill) is not { } batch)
        {
            return null;
        }

        _inUse++;
        Count(1);
        return batch;
    }

    // Called under the lock for a slot that is there to give: the next live waiter of its own, or the run of sharing
    // waiters at the head of the queue while a sharing slot is free (counted as taken) — beside a sharing round trip in
    // flight only when the head is not quick, SpillAt sharing calls wait or a quick one waited SpillAfter (spill); past
    // sharing waiters that may not have one, the first waiter of its own. Null when nothing queued may take the slot.
    private List<GateWaiter>? TakeNext(bool spill = false)
    {
        while (_queue.TryPeek(out GateWaiter? head) && head.State != GateWaiter.Queued)
        {
            _queue.Dequeue(); // removed, or served out of turn
        }

        if (!_queue.TryPeek(out GateWaiter? next))
        {
            return null;
        }

        if (!next.SharesRoundTrip)
        {
            _queue.Dequeue();
            return [Served(next)];
        }

        if (_sharedInUse < SharedSlots && (spill || _sharedInUse == 0 || !next.Quick || _sharedQueued >= SpillAt))
        {
            var batch = new List<GateWaiter>();
            while (batch.Count < MaxBatch && _queue.TryPeek(out GateWaiter? waiter) && (waiter.State != GateWaiter.Queued || waiter.SharesRoundTrip))
            {
                _queue.Dequeue();
                if (waiter.State == GateWaiter.Queued)
                {
                    waiter.State = GateWaiter.Served;
                    _sharedQueued--;
                    batch.Add(waiter);
                }
            }

            _sharedInUse++;
            return batch;
        }

        if (_ownQueued > 0)
        {
            foreach (GateWaiter waiter in _queue)
            {
                if (waiter.State == GateWaiter.Queued && !waiter.SharesRoundTrip)
                {
                    return [Served(waiter)]; // left in the queue, skipped when it comes up
                }
            }
        }

        return null;
    }

    private GateWaiter Served(GateWaiter waiter)
    {
        waiter.State = GateWaiter.Served;
        _ownQueued--;
        return waiter;
    }

    // Outside the lock: a waiter alone is handed the slot (it gives it back; one that left meanwhile passes the slot
    // on), sharing waiters are returned to run on it together.
    private List<GateWaiter>? Serve(List<GateWaiter>? batch)
    {
        if (batch is [var alone])
        {
            return alone.Grant() ? null : Release(alone.SharesRoundTrip);
        }

        return batch;
    }
}

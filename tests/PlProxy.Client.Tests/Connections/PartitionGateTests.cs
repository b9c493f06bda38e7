using System.Collections.Concurrent;
using PlProxy.Client.Connections;

namespace PlProxy.Client.Tests.Connections;

/// <summary>
/// A partition's gate: at most its slots in use; what queues is served in arrival order, a waiter alone handed the
/// slot, sharing waiters together up to the batch cap.
/// </summary>
public sealed class PartitionGateTests
{
    [Fact]
    public void TryEnter_BeyondItsSlots_RefusesUntilOneIsGivenBack()
    {
        var gate = new PartitionGate(2, 8, "db");

        Assert.True(gate.TryEnter());
        Assert.True(gate.TryEnter());
        Assert.False(gate.TryEnter());
        Assert.Null(gate.Release());
        Assert.True(gate.TryEnter());
        Assert.Equal(2, gate.InUse);
    }

    [Fact]
    public void Release_WithSharingWaitersQueued_HandsThemOverTogetherUpToTheBatchCap()
    {
        var gate = new PartitionGate(1, 3, "db");
        Assert.True(gate.TryEnter());
        Waiter[] waiters = [.. Enumerable.Range(0, 5).Select(_ => new Waiter(shares: true))];
        foreach (Waiter waiter in waiters)
        {
            Assert.Null(gate.Enqueue(waiter));
        }

        List<GateWaiter>? first = gate.Release();
        List<GateWaiter>? second = gate.Release();

        Assert.Equal(waiters[..3], first);
        Assert.Equal(waiters[3..], second);
        Assert.Null(gate.Release());
        Assert.Equal(0, gate.InUse);
    }

    [Fact]
    public void Release_WithOneWaiterBeforeAWaiterOfItsOwn_GrantsEachTheSlotInTurn()
    {
        var gate = new PartitionGate(1, 8, "db");
        Assert.True(gate.TryEnter());
        var sharing = new Waiter(shares: true);
        var own = new Waiter(shares: false);
        var later = new Waiter(shares: true);
        var last = new Waiter(shares: true);
        gate.Enqueue(sharing);
        gate.Enqueue(own);
        gate.Enqueue(later);
        gate.Enqueue(last);

        Assert.Null(gate.Release()); // the run of sharing waiters stops at the one that needs its own: alone, it runs as alone
        Assert.True(sharing.Granted);
        Assert.False(own.Granted);
        Assert.Null(gate.Release());
        Assert.True(own.Granted);
        Assert.Equal([later, last], gate.Release());
        Assert.Equal(1, gate.InUse);
    }

    [Fact]
    public void Release_ToAWaiterThatLeftWhileBeingServed_PassesTheSlotOn()
    {
        var gate = new PartitionGate(1, 8, "db");
        Assert.True(gate.TryEnter());
        var left = new Waiter(shares: true, left: true);
        var next = new Waiter(shares: false);
        gate.Enqueue(left);
        gate.Enqueue(next);

        Assert.Null(gate.Release());

        Assert.False(left.Granted);
        Assert.True(next.Granted);
        Assert.Equal(1, gate.InUse);
        Assert.Null(gate.Release());
        Assert.Equal(0, gate.InUse);
    }

    [Fact]
    public void TryRemove_OfAQueuedWaiter_SkipsItAndOfAServedOneFails()
    {
        var gate = new PartitionGate(1, 8, "db");
        Assert.True(gate.TryEnter());
        var removed = new Waiter(shares: true);
        var kept = new Waiter(shares: true);
        gate.Enqueue(removed);
        gate.Enqueue(kept);

        Assert.True(gate.TryRemove(removed));
        Assert.Null(gate.Release());
        Assert.True(kept.Granted);
        Assert.False(removed.Granted);
        Assert.False(gate.TryRemove(kept));
    }

    [Fact]
    public void Enqueue_AfterASlotCameFree_ServesTheQueueAtOnce()
    {
        var gate = new PartitionGate(1, 8, "db");
        var waiter = new Waiter(shares: true);

        Assert.Null(gate.Enqueue(waiter));
        Assert.True(waiter.Granted);
        Assert.Equal(1, gate.InUse);
    }

    [Fact]
    public async Task ManyThreads_EnteringAndQueuing_NeverExceedTheSlotsAndServeEveryWaiter()
    {
        var gate = new PartitionGate(3, 4, "db");
        var granted = new ConcurrentQueue<Waiter>();
        int inUse = 0, most = 0, served = 0;
        void Use()
        {
            int now = Interlocked.Increment(ref inUse);
            int seen;
            while (now > (seen = Volatile.Read(ref most)) && Interlocked.CompareExchange(ref most, now, seen) != seen)
            {
            }
        }

        // A slot in use is given back; what it is handed on to runs and gives it back too, until nothing waits.
        void Run(int calls)
        {
            Interlocked.Add(ref served, calls);
            Interlocked.Decrement(ref inUse);
            List<GateWaiter>? batch = gate.Release();
            while (batch is not null || granted.TryDequeue(out _))
            {
                Use();
                Interlocked.Add(ref served, batch?.Count ?? 1);
                Interlocked.Decrement(ref inUse);
                batch = gate.Release();
            }
        }

        Task[] workers = [.. Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            for (int i = 0; i < 2_000; i++)
            {
                if (gate.TryEnter())
                {
                    Use();
                    Run(1);
                }
                else if (gate.Enqueue(new Waiter(shares: true, onGrant: granted.Enqueue)) is { } batch)
                {
                    Use();
                    Run(batch.Count);
                }
                else if (granted.TryDequeue(out _))
                {
                    Use();
                    Run(1);
                }
            }
        }))];
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        while (granted.TryDequeue(out _))
        {
            Use();
            Run(1);
        }

        Assert.InRange(most, 1, 3);
        Assert.Equal(16_000, served);
        Assert.Equal(0, gate.InUse);
    }

    private sealed class Waiter(bool shares, bool left = false, Action<Waiter>? onGrant = null) : GateWaiter
    {
        public bool Granted { get; private set; }

        public override bool SharesRoundTrip => shares;

        public override bool Grant()
        {
            if (left)
            {
                return false;
            }

            Granted = true;
            onGrant?.Invoke(this);
            return true;
        }
    }
}

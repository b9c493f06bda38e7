using PlProxy.Client.Connections;

namespace PlProxy.Client.Tests.Connections;

/// <summary>A partition's gate: at most its slots in use; what queues is served in arrival order, sharing waiters together up to the batch cap.</summary>
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
    public void Release_WithAWaiterOfItsOwnFirst_GrantsItTheSlotAloneAndKeepsTheOrder()
    {
        var gate = new PartitionGate(1, 8, "db");
        Assert.True(gate.TryEnter());
        var sharing = new Waiter(shares: true);
        var own = new Waiter(shares: false);
        var later = new Waiter(shares: true);
        gate.Enqueue(sharing);
        gate.Enqueue(own);
        gate.Enqueue(later);

        Assert.Equal([sharing], gate.Release()); // the run of sharing waiters stops at the one that needs its own
        Assert.Null(gate.Release());
        Assert.True(own.Granted);
        Assert.False(later.Granted);
        Assert.Equal([later], gate.Release()); // the granted waiter gives its slot back
        Assert.Equal(1, gate.InUse);
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
        Assert.Equal([kept], gate.Release());
        Assert.False(gate.TryRemove(kept));
    }

    [Fact]
    public void Enqueue_AfterASlotCameFree_ServesTheQueueAtOnce()
    {
        var gate = new PartitionGate(1, 8, "db");
        var waiter = new Waiter(shares: true);

        Assert.Equal([waiter], gate.Enqueue(waiter));
        Assert.Equal(1, gate.InUse);
    }

    [Fact]
    public async Task ManyThreads_EnteringAndQueuing_NeverExceedTheSlotsAndServeEveryWaiter()
    {
        var gate = new PartitionGate(3, 4, "db");
        int inUse = 0, most = 0, served = 0;
        void Use()
        {
            int now = Interlocked.Increment(ref inUse);
            int seen;
            while (now > (seen = Volatile.Read(ref most)) && Interlocked.CompareExchange(ref most, now, seen) != seen)
            {
            }
        }

        void GiveBack()
        {
            Interlocked.Decrement(ref inUse);
            while (gate.Release() is { } batch)
            {
                Use();
                Interlocked.Add(ref served, batch.Count);
                Interlocked.Decrement(ref inUse);
            }
        }

        Task[] workers = [.. Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < 2_000; i++)
            {
                if (gate.TryEnter())
                {
                    Use();
                    Interlocked.Increment(ref served);
                    GiveBack();
                }
                else if (gate.Enqueue(new Waiter(shares: true)) is { } batch)
                {
                    Use();
                    Interlocked.Add(ref served, batch.Count);
                    GiveBack();
                }
            }
        }))];
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.InRange(most, 1, 3);
        Assert.Equal(16_000, served);
        Assert.Equal(0, gate.InUse);
    }

    private sealed class Waiter(bool shares) : GateWaiter
    {
        public bool Granted { get; private set; }

        public override bool SharesRoundTrip => shares;

        public override void Grant() => Granted = true;
    }
}

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

        Assert.True(gate.TryEnter(shares: false));
        Assert.True(gate.TryEnter(shares: false));
        Assert.False(gate.TryEnter(shares: false));
        Assert.Null(gate.Release(shared: false));
        Assert.True(gate.TryEnter(shares: false));
        Assert.Equal(2, gate.InUse);
    }

    [Fact]
    public void Release_WithSharingWaitersQueued_HandsThemOverTogetherUpToTheBatchCap()
    {
        var gate = new PartitionGate(1, 3, "db");
        Assert.True(gate.TryEnter(shares: true));
        Waiter[] waiters = [.. Enumerable.Range(0, 5).Select(_ => new Waiter(shares: true))];
        foreach (Waiter waiter in waiters)
        {
            Assert.Null(gate.Enqueue(waiter));
        }

        List<GateWaiter>? first = gate.Release(shared: true);
        List<GateWaiter>? second = gate.Release(shared: true);

        Assert.Equal(waiters[..3], first);
        Assert.Equal(waiters[3..], second);
        Assert.Null(gate.Release(shared: true));
        Assert.Equal(0, gate.InUse);
    }

    [Fact]
    public void Release_WithOneWaiterBeforeAWaiterOfItsOwn_GrantsEachTheSlotInTurn()
    {
        var gate = new PartitionGate(1, 8, "db");
        Assert.True(gate.TryEnter(shares: true));
        var sharing = new Waiter(shares: true);
        var own = new Waiter(shares: false);
        var later = new Waiter(shares: true);
        var last = new Waiter(shares: true);
        gate.Enqueue(sharing);
        gate.Enqueue(own);
        gate.Enqueue(later);
        gate.Enqueue(last);

        Assert.Null(gate.Release(shared: true)); // the run of sharing waiters stops at the one that needs its own: alone, it runs as alone
        Assert.True(sharing.Granted);
        Assert.False(own.Granted);
        Assert.Null(gate.Release(shared: true));
        Assert.True(own.Granted);
        Assert.Equal([later, last], gate.Release(shared: true));
        Assert.Equal(1, gate.InUse);
    }

    [Fact]
    public void Release_ToAWaiterThatLeftWhileBeingServed_PassesTheSlotOn()
    {
        var gate = new PartitionGate(1, 8, "db");
        Assert.True(gate.TryEnter(shares: true));
        var left = new Waiter(shares: true, left: true);
        var next = new Waiter(shares: false);
        gate.Enqueue(left);
        gate.Enqueue(next);

        Assert.Null(gate.Release(shared: true));

        Assert.False(left.Granted);
        Assert.True(next.Granted);
        Assert.Equal(1, gate.InUse);
        Assert.Null(gate.Release(shared: true));
        Assert.Equal(0, gate.InUse);
    }

    [Fact]
    public void TryRemove_OfAQueuedWaiter_SkipsItAndOfAServedOneFails()
    {
        var gate = new PartitionGate(1, 8, "db");
        Assert.True(gate.TryEnter(shares: true));
        var removed = new Waiter(shares: true);
        var kept = new Waiter(shares: true);
        gate.Enqueue(removed);
        gate.Enqueue(kept);

        Assert.True(gate.TryRemove(removed));
        Assert.Null(gate.Release(shared: true));
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
    public void SharingCalls_BeyondTheSharedSlots_Queue_WhileCallsOfTheirOwnStillEnter()
    {
        var gate = new PartitionGate(4, 8, "db");

        Assert.Equal(2, gate.SharedSlots);
        Assert.True(gate.TryEnter(shares: true));
        Assert.True(gate.TryEnter(shares: true));
        Assert.False(gate.TryEnter(shares: true)); // both sharing slots taken: it queues, to go in the next shared round trip
        Assert.True(gate.TryEnter(shares: false));
        Assert.True(gate.TryEnter(shares: false));
        Assert.False(gate.TryEnter(shares: false));
        Assert.Equal(4, gate.InUse);
    }

    [Fact]
    public void QuickSharingCall_BesideASharingRoundTripInFlight_WaitsAndGoesOnTheSlotThatComesFree()
    {
        var gate = new PartitionGate(4, 8, "db");
        Assert.True(gate.TryEnter(shares: true, quick: true)); // nothing in flight: it goes at once

        Assert.False(gate.TryEnter(shares: true, quick: true)); // a second sharing slot is free, but a quick call waits for the round trip in flight
        var quick = new Waiter(shares: true, quick: true);
        Assert.Null(gate.Enqueue(quick));
        Assert.False(quick.Granted);
        Assert.Equal(1, gate.InUse);
        Assert.True(gate.TryEnter(shares: false)); // calls of their own are not held back

        Assert.Null(gate.Release(shared: true));
        Assert.True(quick.Granted); // the round trip in flight came back: its slot goes to the waiting call
        Assert.Equal(2, gate.InUse);
    }

    [Fact]
    public void QuickSharingCalls_OnceHalfABatchWaits_StartASecondRoundTripBesideTheOneInFlight()
    {
        var gate = new PartitionGate(4, 8, "db");
        Assert.Equal(4, gate.SpillAt);
        Assert.True(gate.TryEnter(shares: true, quick: true));
        Waiter[] waiters = [.. Enumerable.Range(0, 4).Select(_ => new Waiter(shares: true, quick: true))];

        Assert.Null(gate.Enqueue(waiters[0]));
        Assert.Null(gate.Enqueue(waiters[1]));
        Assert.Null(gate.Enqueue(waiters[2]));
        List<GateWaiter>? batch = gate.Enqueue(waiters[3]);

        Assert.Equal(waiters, batch);
        Assert.Equal(2, gate.InUse);
        Assert.False(gate.TryEnter(shares: true)); // both sharing slots in flight
    }

    [Fact]
    public void Spill_AfterAQuickCallWaitedForARoundTripHeldUp_ServesTheQueueBesideIt_WhileASharingSlotIsFree()
    {
        var gate = new PartitionGate(4, 8, "db");
        Assert.True(gate.TryEnter(shares: true, quick: true)); // the round trip in flight, held up
        var quick = new Waiter(shares: true, quick: true);
        Assert.Null(gate.Enqueue(quick));
        Assert.False(quick.Granted);

        Assert.Null(gate.Spill()); // alone, the waiter is handed the free sharing slot
        Assert.True(quick.Granted);
        Assert.Equal(2, gate.InUse);

        var later = new Waiter(shares: true, quick: true);
        Assert.Null(gate.Enqueue(later));
        Assert.Null(gate.Spill()); // both sharing slots are taken now: it waits for one to come back
        Assert.False(later.Granted);
        Assert.Equal(2, gate.InUse);
    }

    [Fact]
    public void SharingCall_NotKnownToBeQuick_StartsASecondRoundTripBesideTheOneInFlight()
    {
        var gate = new PartitionGate(4, 8, "db");
        Assert.True(gate.TryEnter(shares: true, quick: true));

        Assert.True(gate.TryEnter(shares: true)); // a method not measured yet, or one that takes a while: beside it
        Assert.False(gate.TryEnter(shares: true)); // the sharing slots are full
        Assert.Equal(2, gate.InUse);
    }

    [Fact]
    public void Release_OfACallOfItsOwn_WithSharingWaitersThatMayNotTakeIt_GoesToTheFirstWaiterOfItsOwnBehindThem()
    {
        var gate = new PartitionGate(4, 8, "db");
        Assert.True(gate.TryEnter(shares: true));
        Assert.True(gate.TryEnter(shares: true));
        Assert.True(gate.TryEnter(shares: false));
        Assert.True(gate.TryEnter(shares: false));
        var sharing = new Waiter(shares: true);
        var own = new Waiter(shares: false);
        gate.Enqueue(sharing);
        gate.Enqueue(own);

        Assert.Null(gate.Release(shared: false)); // the sharing slots are full: the slot passes over the sharing waiter

        Assert.True(own.Granted);
        Assert.False(sharing.Granted);
        Assert.Null(gate.Release(shared: true)); // a sharing slot came free: the sharing waiter, alone, is handed it
        Assert.True(sharing.Granted);
        Assert.Equal(4, gate.InUse);
    }

    [Fact]
    public void GateOfOneSlot_SharesItWithEveryKindOfCall()
    {
        var gate = new PartitionGate(1, 8, "db");

        Assert.Equal(1, gate.SharedSlots);
        Assert.True(gate.TryEnter(shares: false));
        Assert.False(gate.TryEnter(shares: true));
        var sharing = new Waiter(shares: true);
        gate.Enqueue(sharing);
        Assert.Null(gate.Release(shared: false));
        Assert.True(sharing.Granted);
    }

    [Fact]
    public async Task ManyThreads_EnteringQueuingAndSpilling_NeverExceedTheSlotsNorTheSharedSlotsAndServeEveryWaiter()
    {
        var gate = new PartitionGate(4, 4, "db");
        var granted = new ConcurrentQueue<Waiter>();
        int inUse = 0, most = 0, sharedInUse = 0, mostShared = 0, served = 0;
        static void Raise(ref int counter, ref int peak)
        {
            int now = Interlocked.Increment(ref counter);
            int seen;
            while (now > (seen = Volatile.Read(ref peak)) && Interlocked.CompareExchange(ref peak, now, seen) != seen)
            {
            }
        }

        void Use(bool shared)
        {
            Raise(ref inUse, ref most);
            if (shared)
            {
                Raise(ref sharedInUse, ref mostShared);
            }
        }

        // A slot in use is given back; what it is handed on to runs and gives it back too, until nothing waits.
        void Run(int calls, bool shared)
        {
            while (true)
            {
                Interlocked.Add(ref served, calls);
                Interlocked.Decrement(ref inUse);
                if (shared)
                {
                    Interlocked.Decrement(ref sharedInUse);
                }

                List<GateWaiter>? batch = gate.Release(shared);
                if (batch is not null)
                {
                    (calls, shared) = (batch.Count, true);
                }
                else if (granted.TryDequeue(out Waiter? alone))
                {
                    (calls, shared) = (1, alone.SharesRoundTrip);
                }
                else
                {
                    return;
                }

                Use(shared);
            }
        }

        Task[] workers = [.. Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            for (int i = 0; i < 2_000; i++)
            {
                bool shares = (i + worker) % 3 != 0;
                bool quick = shares && i % 2 == 0;
                if (gate.TryEnter(shares, quick))
                {
                    Use(shares);
                    Run(1, shares);
                }
                else if (gate.Enqueue(new Waiter(shares, onGrant: granted.Enqueue, quick: quick)) is { } batch)
                {
                    Use(shared: true);
                    Run(batch.Count, shared: true);
                }
                else if (quick && i % 4 == 0 && gate.Spill() is { } spilled) // as a quick waiter does after waiting SpillAfter
                {
                    Use(shared: true);
                    Run(spilled.Count, shared: true);
                }
                else if (granted.TryDequeue(out Waiter? alone))
                {
                    Use(alone.SharesRoundTrip);
                    Run(1, alone.SharesRoundTrip);
                }
            }
        }))];
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        while (granted.TryDequeue(out Waiter? alone))
        {
            Use(alone.SharesRoundTrip);
            Run(1, alone.SharesRoundTrip);
        }

        Assert.InRange(most, 1, 4);
        Assert.InRange(mostShared, 1, 2);
        Assert.Equal(16_000, served);
        Assert.Equal(0, gate.InUse);
    }

    [Fact]
    public void Close_WithCallsQueued_FailsEachAsDisposedRefusesLaterOnesAndServesNothingWithTheSlotsGivenBack()
    {
        var gate = new PartitionGate(2, 8, "db");
        Assert.True(gate.TryEnter(shares: true));
        Assert.True(gate.TryEnter(shares: false));
        Waiter[] waiters = [new(shares: true), new(shares: false), new(shares: true)];
        foreach (Waiter waiter in waiters)
        {
            Assert.Null(gate.Enqueue(waiter));
        }

        gate.Close();

        Assert.All(waiters, w => Assert.Equal("PlProxy.Client.PlProxyDataSource", Assert.IsType<ObjectDisposedException>(w.Failed).ObjectName));
        Assert.False(gate.TryRemove(waiters[0])); // failed already: no longer the caller's to take out
        Assert.Throws<ObjectDisposedException>(() => gate.Enqueue(new Waiter(shares: true)));
        Assert.Null(gate.Release(shared: true));
        Assert.Null(gate.Release(shared: false));
        Assert.Equal(0, gate.InUse);
        Assert.All(waiters, w => Assert.False(w.Granted));
    }

    private sealed class Waiter(bool shares, bool left = false, Action<Waiter>? onGrant = null, bool quick = false) : GateWaiter
    {
        public bool Granted { get; private set; }

        public Exception? Failed { get; private set; }

        public override void Fail(Exception error) => Failed = error;

        public override bool SharesRoundTrip => shares;

        public override bool Quick => quick;

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

namespace PlProxy.Client.Connections;

/// <summary>
/// A call queued at a <see cref="PartitionGate"/>: one that may share a round trip with others, or one that needs a
/// connection of its own and is handed a slot. Its state changes under the gate's lock only.
/// </summary>
internal abstract class GateWaiter
{
    public const int Queued = 0;
    public const int Served = 1;
    public const int Removed = 2;

    /// <summary>Queued, served (handed a slot or taken into a batch) or removed (cancelled, or waited too long).</summary>
    public int State { get; set; }

    /// <summary>True when the call may go to the server in one round trip with others.</summary>
    public abstract bool SharesRoundTrip { get; }

    /// <summary>
    /// True for a sharing call whose method is known to be quick (<see cref="PartitionGate.QuickCallMilliseconds"/>):
    /// it waits for a sharing round trip in flight rather than start another beside it.
    /// </summary>
    public virtual bool Quick => false;

    /// <summary>
    /// Hands the waiter the slot (it gives the slot back when done): a waiter of its own, or a sharing waiter alone in
    /// the queue, which then runs as it would alone. False when the waiter left meanwhile: the slot is not taken.
    /// </summary>
    public abstract bool Grant();

    /// <summary>Ends the wait with <paramref name="error"/> (a waiter that already has its outcome keeps it).</summary>
    public abstract void Fail(Exception error);
}

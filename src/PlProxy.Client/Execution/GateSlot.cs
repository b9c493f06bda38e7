using Npgsql;
using PlProxy.Client.Connections;

namespace PlProxy.Client.Execution;

/// <summary>
/// A slot of a partition's gate held by one call: given back once, when its connection is back in the pool. Calls that
/// queued meanwhile go on the slot: handed to a waiter of its own, or run as one batch.
/// </summary>
internal sealed class GateSlot(PartitionGate gate, NpgsqlDataSource dataSource) : IDisposable
{
    private int _released;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0 && gate.Release() is { } batch)
        {
            PartitionBatch.Start(gate, dataSource, batch);
        }
    }
}

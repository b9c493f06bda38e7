using Npgsql;
using PlProxy.Client.Connections;

namespace PlProxy.Client.Execution;

/// <summary>
/// How a call gives back the slot of a partition's gate it held, once its connection is back in the pool: calls that
/// queued meanwhile go on the slot, handed to a waiter of its own or run as one batch.
/// </summary>
internal static class GateSlot
{
    public static void Release(PartitionGate gate, NpgsqlDataSource dataSource, bool shared)
    {
        if (gate.Release(shared) is { } batch)
        {
            PartitionBatch.Start(gate, dataSource, batch);
        }
    }
}

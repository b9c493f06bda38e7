using Npgsql;
using PlProxy.Client.Connections;
using PlProxy.Client.Resilience;

namespace PlProxy.Client.Execution;

/// <summary>
/// What a <see cref="PlProxyPartition"/> holds while the user works on its pool (Dapper, EF Core, a transaction): one of
/// the partition's connection slots, and one call of its host's connection budget, taken as a call takes them — so the
/// connection the user opens counts as a call's does. Calls that then find every connection busy queue at the gate
/// (and share a round trip) instead of waiting in Npgsql's pool for a connection the user holds, where the wait would
/// end after the connect timeout as a connect failure: retried, and counted by the circuit breaker.
/// </summary>
internal sealed class PartitionHold : IDisposable
{
    private readonly NpgsqlDataSource _pool;
    private readonly PartitionGate? _gate;
    private readonly IDisposable? _lease;

    private PartitionHold(NpgsqlDataSource pool, PartitionGate? gate, IDisposable? lease)
    {
        _pool = pool;
        _gate = gate;
        _lease = lease;
    }

    /// <summary>
    /// Takes the budget's call and the gate's slot, waiting as a call waits: in turn, at most <paramref name="queueTimeout"/>
    /// for the slot (then SQLSTATE 53300, as a call), and as long as the budget lets a call wait.
    /// </summary>
    /// <exception cref="PlProxyException">53300: the partition's connections or its host's budget stayed busy.</exception>
    /// <exception cref="ObjectDisposedException">The data source was disposed meanwhile.</exception>
    public static async ValueTask<PartitionHold> TakeAsync(NpgsqlDataSource pool, PartitionGate? gate, ConnectionBudget? budget, TimeSpan queueTimeout, CancellationToken cancellationToken)
    {
        IDisposable? lease = budget is null ? null : await budget.EnterAsync(pool, cancellationToken).ConfigureAwait(false);
        try
        {
            if (gate is not null && !gate.TryEnter(shares: false))
            {
                // A waiter of its own, as a stream's part is: handed a slot, never part of a round trip.
                await new QueuedCall(default, rows: null).WaitAsync(gate, pool, queueTimeout, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            lease?.Dispose();
            throw;
        }

        return new PartitionHold(pool, gate, lease);
    }

    /// <summary>Gives the slot back (to what queues at the gate) and the budget's call (its partition disposes it once).</summary>
    public void Dispose()
    {
        if (_gate is not null)
        {
            GateSlot.Release(_gate, _pool, shared: false);
        }

        _lease?.Dispose();
    }
}

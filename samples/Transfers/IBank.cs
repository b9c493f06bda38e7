using PlProxy.Client;

namespace Transfers;

/// <summary>Accounts partitioned by username: a transfer debits on the payer's partition and credits, later, on the payee's.</summary>
[PlProxy("CLUSTER 'bank';")]
public interface IBank
{
    /// <summary>Debits the payer and, in the same partition transaction, queues the credit (PgQ event on that partition).</summary>
    [PlProxy("RUN ON hashtext(payer);")]
    Task<decimal> DebitAsync(string payer, string payee, decimal amount, string transferId, CancellationToken cancellationToken = default);

    /// <summary>Credits the payee once per transfer id (a second delivery of the event changes nothing).</summary>
    [PlProxy("RUN ON hashtext(payee);")]
    Task<bool> CreditAsync(string transferId, string payee, decimal amount, CancellationToken cancellationToken = default);

    /// <summary>Each partition's sum of balances.</summary>
    [PlProxy("RUN ON ALL;")]
    Task<IReadOnlyList<decimal>> PartitionTotalAsync(CancellationToken cancellationToken = default);
}

using PlProxy.Client;

namespace Worker;

/// <summary>The users' ledgers, one partition per user (the partitions' functions: Schema.sql).</summary>
[PlProxy("CLUSTER 'ledger';")]
public interface ILedger
{
    /// <summary>Credits <paramref name="amount"/> to the user once per <paramref name="creditId"/>; false when that credit was applied before.</summary>
    [PlProxy("RUN ON hashtext(username);")]
    [Idempotent]
    Task<bool> CreditAsync(string username, decimal amount, string creditId, CancellationToken cancellationToken = default);
}

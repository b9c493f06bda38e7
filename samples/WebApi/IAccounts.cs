using PlProxy.Client;

namespace WebApi;

/// <summary>The accounts of the service's users, one partition per user (the partitions' functions: Schema.sql).</summary>
[PlProxy("CLUSTER 'accounts';")]
public interface IAccounts
{
    /// <summary>The user's balance; null when the user has no account.</summary>
    [PlProxy("RUN ON hashtext(username);")]
    Task<decimal?> GetBalanceAsync(string username, CancellationToken cancellationToken = default);

    /// <summary>Adds <paramref name="amount"/> to the user's balance (an account is opened on the first deposit) and returns the new balance.</summary>
    [PlProxy("RUN ON hashtext(username);")]
    Task<decimal> DepositAsync(string username, decimal amount, CancellationToken cancellationToken = default);

    /// <summary>How many accounts each partition holds.</summary>
    [PlProxy("RUN ON ALL;")]
    Task<IReadOnlyList<PartitionCount>> CountAccountsAsync(CancellationToken cancellationToken = default);
}

/// <summary>One partition's account count.</summary>
public sealed class PartitionCount
{
    public string Db { get; set; } = "";

    public long Accounts { get; set; }
}

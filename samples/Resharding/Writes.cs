using PlProxy.Client;

namespace Resharding;

/// <summary>The writes the walkthrough sends while the cluster is split or a partition moves.</summary>
[PlProxy("CLUSTER 'users';")]
public interface IWrites
{
    /// <summary>Records write <paramref name="id"/> of key <paramref name="key"/> on the key's partition (record_write calls partconf.check_hash first).</summary>
    [PlProxy("RUN ON hashtext(key);")]
    Task<string> RecordWriteAsync(string id, string key, CancellationToken cancellationToken = default);
}

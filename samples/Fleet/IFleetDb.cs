using PlProxy.Client;

namespace Fleet;

/// <summary>The fleet's one call: which database answers for a key (the partition's name and the key, as it stores them).</summary>
[PlProxy("CLUSTER 'fleet'; RUN ON hashtext(key);")]
public interface IFleetDb
{
    [PlProxy("")]
    Task<string> WhereIsAsync(string key, CancellationToken cancellationToken = default);
}

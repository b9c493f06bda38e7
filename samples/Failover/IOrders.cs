using PlProxy.Client;

namespace Failover;

/// <summary>The writer's one call: an order placed on its key's partition (not idempotent: each call is one row).</summary>
[PlProxy("CLUSTER 'orders'; RUN ON hashtext(key);")]
public interface IOrders
{
    [PlProxy("")]
    Task<long> PlaceAsync(string key, long id, CancellationToken cancellationToken = default);
}

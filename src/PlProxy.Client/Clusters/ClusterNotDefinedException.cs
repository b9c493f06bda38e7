namespace PlProxy.Client.Clusters;

/// <summary>
/// The proxy database answers, without an error of its own, that it does not define a cluster (its version function
/// returns NULL); <see cref="ClusterRegistry"/> turns it into the call's "no such cluster" error, as it does a
/// proxy database's own exception.
/// </summary>
/// <param name="reason">What the proxy database answered, naming the cluster.</param>
internal sealed class ClusterNotDefinedException(string reason) : Exception(reason);

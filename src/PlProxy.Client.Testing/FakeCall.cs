namespace PlProxy.Client.Testing;

/// <summary>One call a fake partition received: which partition, which function, with which arguments.</summary>
/// <param name="Cluster">The cluster (null for a CONNECT call).</param>
/// <param name="Partition">The partition index.</param>
/// <param name="Function">The remote function (TARGET's name, or the method's).</param>
/// <param name="Arguments">The arguments by name; a split array holds only this partition's elements.</param>
public sealed record FakeCall(string? Cluster, int Partition, string Function, IReadOnlyDictionary<string, object?> Arguments);

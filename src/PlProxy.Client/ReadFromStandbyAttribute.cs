namespace PlProxy.Client;

/// <summary>
/// Marks a proxy method (or, on an interface, each of its methods) whose calls only read and may be served by a
/// standby of their partition: one at most <see cref="Configuration.PlProxyClusterOptions.MaxStandbyLag"/> stale (and,
/// with <see cref="Configuration.PlProxyClusterOptions.ReadYourWrites"/>, one that has replayed this data source's last
/// write to the partition), balanced across the fresh ones; else the primary. Partitions named by one host are read
/// from that host as before. A standby that cannot be reached, or that cancels the read (a conflict with recovery),
/// sends it to the primary. Only for calls that write nothing: a standby refuses writes.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Interface, AllowMultiple = false, Inherited = false)]
public sealed class ReadFromStandbyAttribute : Attribute;

namespace PlProxy.Client;

/// <summary>
/// Marks a proxy method whose calls never share a round trip with other calls (see
/// <see cref="Configuration.PlProxyClusterOptions.CoalesceCalls"/>): when its partition's connections are busy, it waits for
/// a connection of its own. For the rare function that must run in a transaction of its own: one that reads
/// <c>txid_current()</c> or <c>now()</c> as its own, sets <c>SET LOCAL</c> settings, or holds locks that must not
/// wait for other calls' statements.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class NotCoalescedAttribute : Attribute;

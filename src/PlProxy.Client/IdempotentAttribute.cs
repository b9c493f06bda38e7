namespace PlProxy.Client;

/// <summary>
/// Marks a proxy method whose remote function may safely run more than once (a read, or a write that is idempotent by
/// design). Only such methods are retried after a failure that may have reached the server; all others are at most once.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class IdempotentAttribute : Attribute;

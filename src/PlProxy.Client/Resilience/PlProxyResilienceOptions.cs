namespace PlProxy.Client.Resilience;

/// <summary>Automatic retries of a partition call. A call is retried only when it provably never reached the server, or when its method is <see cref="IdempotentAttribute"/>.</summary>
public sealed class PlProxyRetryOptions
{
    /// <summary>Retries after the first attempt. Default: 2; 0 turns retries off.</summary>
    public int MaxRetryAttempts { get; set; } = 2;

    /// <summary>The delay before the first retry, doubled for each next one (with jitter). Default: 100 ms.</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(100);
}

/// <summary>A circuit breaker per partition database: after repeated connection failures, calls to it fail fast for a while.</summary>
public sealed class PlProxyCircuitBreakerOptions
{
    /// <summary>Whether partitions have circuit breakers. Default: true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The share of failed attempts in the sampling window that opens the circuit. Default: 0.5.</summary>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>The attempts the window must hold before the circuit can open. Default: 10.</summary>
    public int MinimumThroughput { get; set; } = 10;

    /// <summary>The sampling window. Default: 10 s.</summary>
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an open circuit fails calls fast before it lets one through to test the partition. Default: 5 s.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Marks a proxy method whose remote function may safely run more than once (a read, or a write that is idempotent by
/// design). Only such methods are retried after a failure that may have reached the server; all others are at most once.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class IdempotentAttribute : Attribute;

namespace PlProxy.Client.Resilience;

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

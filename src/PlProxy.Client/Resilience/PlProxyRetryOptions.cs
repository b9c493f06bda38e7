namespace PlProxy.Client.Resilience;

/// <summary>
/// Automatic retries of a partition call, configured as Polly's retry strategy is (<c>MaxRetryAttempts</c>, <c>Delay</c>,
/// <c>BackoffType</c>, <c>UseJitter</c>, <c>MaxDelay</c>), inside the library's safe-retry rule: a call is retried only
/// when it provably never reached the server, or when its method is <see cref="IdempotentAttribute"/>. Which failures
/// are retried is not configurable.
/// </summary>
public sealed class PlProxyRetryOptions
{
    /// <summary>Retries after the first attempt. Default: 2; 0 turns retries off.</summary>
    public int MaxRetryAttempts { get; set; } = 2;

    /// <summary>The delay before the first retry; the next ones follow <see cref="BackoffType"/>. Default: 100 ms.</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How the delay grows from retry to retry, as Polly's retry strategy takes it. Default: <see cref="Polly.DelayBackoffType.Exponential"/> (doubled each time).</summary>
    public Polly.DelayBackoffType BackoffType { get; set; } = Polly.DelayBackoffType.Exponential;

    /// <summary>Whether each delay is jittered (Polly's decorrelated jitter for exponential backoff), so instances that failed together do not retry together. Default: true.</summary>
    public bool UseJitter { get; set; } = true;

    /// <summary>The longest delay between two attempts, whatever the backoff gives; null (the default) for none.</summary>
    public TimeSpan? MaxDelay { get; set; }
}

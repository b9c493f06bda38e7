namespace PlProxy.Client.Resilience;

/// <summary>Automatic retries of a partition call. A call is retried only when it provably never reached the server, or when its method is <see cref="IdempotentAttribute"/>.</summary>
public sealed class PlProxyRetryOptions
{
    /// <summary>Retries after the first attempt. Default: 2; 0 turns retries off.</summary>
    public int MaxRetryAttempts { get; set; } = 2;

    /// <summary>The delay before the first retry, doubled for each next one (with jitter). Default: 100 ms.</summary>
    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(100);
}

using Microsoft.Extensions.Logging;
using PlProxy.Client.Telemetry;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace PlProxy.Client.Resilience;

/// <summary>
/// Builds the Polly pipeline around one partition database's attempts: retries (only of calls that never reached the
/// server, or of idempotent methods) outside a circuit breaker that opens on repeated connection failures.
/// </summary>
internal static class PartitionPipeline
{
    /// <summary>Set on the resilience context of attempts of <see cref="IdempotentAttribute"/> methods.</summary>
    public static readonly ResiliencePropertyKey<bool> Idempotent = new("plproxy.idempotent");

    /// <summary>The remote function an attempt calls, for the retry log event.</summary>
    public static readonly ResiliencePropertyKey<string> Function = new("plproxy.function");

    /// <summary>For CONNECT targets: retries of attempts that never reached the server, no breaker.</summary>
    public static readonly ResiliencePipeline Direct = Build("(connect)", 0, "(connect)", new PlProxyRetryOptions(), new PlProxyCircuitBreakerOptions { Enabled = false }, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

    public static ResiliencePipeline Build(string cluster, int partition, string database, PlProxyRetryOptions retry, PlProxyCircuitBreakerOptions breaker, ILogger logger, CircuitBreakerStateProvider? breakerState = null)
    {
        var builder = new ResiliencePipelineBuilder();
        if (retry.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = retry.MaxRetryAttempts,
                Delay = retry.Delay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = static args => ValueTask.FromResult(
                    args.Outcome.Exception is { } error and not BrokenCircuitException
                    && (FailureClassifier.NeverReachedServer(error)
                        || (args.Context.Properties.GetValue(Idempotent, false) && FailureClassifier.IsTransient(error)))),
                OnRetry = args =>
                {
                    PlProxyTelemetry.Retries.Add(1, new KeyValuePair<string, object?>(TelemetryNames.Cluster, cluster), new KeyValuePair<string, object?>(TelemetryNames.Partition, partition));
                    Log.Retrying(logger, args.Context.Properties.GetValue(Function, "(unknown)"), cluster, partition, database, args.AttemptNumber + 1);
                    return default;
                },
            });
        }

        if (breaker.Enabled)
        {
            builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = breaker.FailureRatio,
                MinimumThroughput = breaker.MinimumThroughput,
                SamplingDuration = breaker.SamplingDuration,
                BreakDuration = breaker.BreakDuration,
                StateProvider = breakerState,
                ShouldHandle = static args => ValueTask.FromResult(FailureClassifier.IsPartitionFailure(args.Outcome.Exception)),
                OnOpened = _ => Changed("open"),
                OnClosed = _ => Changed("closed"),
                OnHalfOpened = _ => Changed("half-open"),
            });
        }

        return builder.Build();

        ValueTask Changed(string state)
        {
            PlProxyTelemetry.BreakerStateChanges.Add(1,
                new KeyValuePair<string, object?>(TelemetryNames.Cluster, cluster),
                new KeyValuePair<string, object?>(TelemetryNames.Partition, partition),
                new KeyValuePair<string, object?>(TelemetryNames.BreakerState, state));
            Log.BreakerStateChanged(logger, cluster, partition, database, state);
            return default;
        }
    }
}

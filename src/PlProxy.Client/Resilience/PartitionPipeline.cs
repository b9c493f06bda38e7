using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using PlProxy.Client.Planning;
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
    /// <summary>
    /// The call an attempt belongs to, on its resilience context: whether it may be retried after reaching the server
    /// (<see cref="IdempotentAttribute"/> methods) and its function, for the retry log event. A reference, so setting
    /// it boxes nothing.
    /// </summary>
    public static readonly ResiliencePropertyKey<RemoteCall> Call = new("plproxy.call");

    // The failures the breaker has counted. The calls of a shared round trip whose connection broke all get the one
    // exception that broke it: the partition failed once, so the breaker counts it once (Polly counts the others' as
    // it counts any outcome it does not handle), or one lost connection carrying many calls would open the circuit of
    // a healthy partition. Connections that cannot be opened fail each call with an exception of its own: an outage
    // counts call by call, as before.
    private static readonly ConditionalWeakTable<Exception, object> Counted = [];

    /// <summary>For CONNECT targets: retries of attempts that never reached the server, no breaker.</summary>
    public static readonly ResiliencePipeline Direct = Build("(connect)", 0, "(connect)", new PlProxyRetryOptions(), new PlProxyCircuitBreakerOptions { Enabled = false }, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)!;

    /// <summary>The pipeline of one partition database, or null when neither retries nor the breaker are on: nothing to run through.</summary>
    public static ResiliencePipeline? Build(string cluster, int partition, string database, PlProxyRetryOptions retry, PlProxyCircuitBreakerOptions breaker, ILogger logger, CircuitBreakerStateProvider? breakerState = null, CircuitBreakerManualControl? breakerControl = null, Action<ResiliencePipelineBuilder>? configure = null)
    {
        if (retry.MaxRetryAttempts == 0 && !breaker.Enabled)
        {
            return null;
        }

        // Named as Polly's telemetry reports pipelines: the library, then the cluster and partition.
        var builder = new ResiliencePipelineBuilder { Name = TelemetryNames.SourceName, InstanceName = $"{cluster}/{partition}" };
        configure?.Invoke(builder);
        if (retry.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = retry.MaxRetryAttempts,
                Delay = retry.Delay,
                BackoffType = retry.BackoffType,
                UseJitter = retry.UseJitter,
                MaxDelay = retry.MaxDelay,
                ShouldHandle = static args => ValueTask.FromResult(
                    args.Outcome.Exception is { } error and not BrokenCircuitException
                    && (FailureClassifier.ProvablyWroteNothing(error)
                        || (args.Context.Properties.TryGetValue(Call, out RemoteCall? call) && call.Idempotent && FailureClassifier.IsTransient(error)))),
                OnRetry = args =>
                {
                    PlProxyTelemetry.Retries.Add(1, new KeyValuePair<string, object?>(TelemetryNames.Cluster, cluster), new KeyValuePair<string, object?>(TelemetryNames.Partition, partition));
                    Log.Retrying(logger, args.Context.Properties.TryGetValue(Call, out RemoteCall? call) ? call.Name : "(unknown)", cluster, partition, database, args.AttemptNumber + 1);
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
                ManualControl = breakerControl,
                ShouldHandle = static args => ValueTask.FromResult(FailureClassifier.IsPartitionFailure(args.Outcome.Exception) && CountsOnce(args.Outcome.Exception!)),
                OnOpened = _ => Changed("open"),
                OnClosed = _ => Changed("closed"),
                OnHalfOpened = _ => Changed("half-open"),
            });
        }

        return builder.Build();

        static bool CountsOnce(Exception error) => Counted.TryAdd(error, Counted);

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

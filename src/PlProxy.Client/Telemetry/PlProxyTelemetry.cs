using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace PlProxy.Client.Telemetry;

/// <summary>The library's activity source and instruments.</summary>
internal static class PlProxyTelemetry
{
    public static readonly ActivitySource Source = new(TelemetryNames.SourceName, typeof(PlProxyTelemetry).Assembly.GetName().Version?.ToString());

    public static readonly Meter Meter = new(TelemetryNames.SourceName, typeof(PlProxyTelemetry).Assembly.GetName().Version?.ToString());

    public static readonly Histogram<double> CallDuration = Meter.CreateHistogram<double>(
        TelemetryNames.CallDuration, "s", "Duration of proxied calls, from planning to the last row.");

    public static readonly Histogram<double> PartitionDuration = Meter.CreateHistogram<double>(
        TelemetryNames.PartitionDuration, "s", "Duration of one partition's part of a call.");

    public static readonly Counter<long> Errors = Meter.CreateCounter<long>(
        TelemetryNames.Errors, "{error}", "Failed proxied calls, by cluster, function and SQLSTATE.");

    public static readonly Counter<long> Retries = Meter.CreateCounter<long>(
        TelemetryNames.Retries, "{retry}", "Partition attempts retried after a failure that provably did not run the call, or of idempotent functions.");

    public static readonly Counter<long> BreakerStateChanges = Meter.CreateCounter<long>(
        TelemetryNames.BreakerStateChanges, "{change}", "Circuit breaker state changes, by cluster, partition and new state.");
}

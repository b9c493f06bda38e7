using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace PlProxy.Client.Telemetry;

/// <summary>The library's activity source and instruments.</summary>
internal static class PlProxyTelemetry
{
    public static readonly ActivitySource Source = new(TelemetryNames.SourceName, typeof(PlProxyTelemetry).Assembly.GetName().Version?.ToString());

    public static readonly Meter Meter = new(TelemetryNames.SourceName, typeof(PlProxyTelemetry).Assembly.GetName().Version?.ToString());

    // OpenTelemetry's database conventions advise these buckets (seconds); the SDK's defaults are meant for milliseconds.
    private static readonly InstrumentAdvice<double> DurationAdvice = new()
    {
        HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
    };

    public static readonly Histogram<double> CallDuration = Meter.CreateHistogram(
        TelemetryNames.CallDuration, "s", "Duration of proxied calls, from planning to the last row.", tags: null, DurationAdvice);

    public static readonly Histogram<double> PartitionDuration = Meter.CreateHistogram(
        TelemetryNames.PartitionDuration, "s", "Duration of one partition's part of a call.", tags: null, DurationAdvice);

    public static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>(
        TelemetryNames.BatchSize, "{call}", "Calls carried by one round trip to a partition database.");

    public static readonly Histogram<double> QueueWait = Meter.CreateHistogram(
        TelemetryNames.QueueWait, "s", "Time a call waited for one of its partition database's connections.", tags: null, DurationAdvice);

    public static readonly UpDownCounter<long> ConnectionsInUse = Meter.CreateUpDownCounter<long>(
        TelemetryNames.ConnectionsInUse, "{connection}", "Connections in use to a partition database under a connection cap.");

    public static readonly Histogram<double> StandbyLag = Meter.CreateHistogram<double>(
        TelemetryNames.StandbyLag, "s", "A standby's staleness as each check of its partition measures it.");

    public static readonly Counter<long> StandbyReads = Meter.CreateCounter<long>(
        TelemetryNames.StandbyReads, "{call}", "Calls marked to read from a standby, by where each went.");

    public static readonly Counter<long> Errors = Meter.CreateCounter<long>(
        TelemetryNames.Errors, "{error}", "Failed proxied calls, by cluster, function and SQLSTATE.");

    public static readonly Counter<long> Retries = Meter.CreateCounter<long>(
        TelemetryNames.Retries, "{retry}", "Partition attempts retried after a failure that provably did not run the call, or of idempotent functions.");

    public static readonly Counter<long> FencedCalls = Meter.CreateCounter<long>(
        TelemetryNames.FencedCalls, "{call}", "Calls a partition's partconf fence refused because the caller's partition map was stale.");

    public static readonly Counter<long> BreakerStateChanges = Meter.CreateCounter<long>(
        TelemetryNames.BreakerStateChanges, "{change}", "Circuit breaker state changes, by cluster, partition and new state.");
}

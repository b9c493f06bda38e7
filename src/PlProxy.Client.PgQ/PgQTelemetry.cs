using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace PlProxy.Client.PgQ;

/// <summary>
/// The PgQ package's traces (activity source <c>PlProxy.Client.PgQ</c>: one <c>pgq batch</c> span per batch) and metrics
/// (meter <c>PlProxy.Client.PgQ</c>), each tagged with <c>pgq.queue</c>; the names are <see cref="PgQTelemetryNames"/>.
/// </summary>
internal static class PgQTelemetry
{
    private static readonly Meter Meter = new(PgQTelemetryNames.SourceName);

    public static readonly ActivitySource Source = new(PgQTelemetryNames.SourceName);

    public static readonly Histogram<long> BatchSize = Meter.CreateHistogram<long>(PgQTelemetryNames.BatchSize, "{event}", "Events per processed batch");

    public static readonly Histogram<double> BatchLag = Meter.CreateHistogram<double>(PgQTelemetryNames.BatchLag, "s", "How old a batch's end tick was when the consumer took it");

    public static readonly Counter<long> Events = Meter.CreateCounter<long>(PgQTelemetryNames.Events, "{event}", "Events a hosted consumer's handler completed");

    public static readonly Counter<long> Retries = Meter.CreateCounter<long>(PgQTelemetryNames.Retries, "{event}", "Events deferred to a later batch after their handler failed");

    public static readonly Counter<long> DeadLetters = Meter.CreateCounter<long>(PgQTelemetryNames.DeadLetters, "{event}", "Events given up after their retries and written to plproxy_pgq.dead_letter");

    public static readonly Histogram<double> HandlerDuration = Meter.CreateHistogram<double>(PgQTelemetryNames.HandlerDuration, "s", "Time a hosted consumer's handler took per event");

    /// <summary>The tag every instrument carries: the queue.</summary>
    public static KeyValuePair<string, object?> QueueTag(string queue) => new(PgQTelemetryNames.Queue, queue);
}

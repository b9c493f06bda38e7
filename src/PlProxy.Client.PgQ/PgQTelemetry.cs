using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace PlProxy.Client.PgQ;

/// <summary>
/// The PgQ package's traces (activity source <c>PlProxy.Client.PgQ</c>: one <c>pgq batch</c> span per batch) and metrics
/// (meter <c>PlProxy.Client.PgQ</c>), each tagged with <c>pgq.queue</c>.
/// </summary>
internal static class PgQTelemetry
{
    public const string MeterName = "PlProxy.Client.PgQ";

    private static readonly Meter Meter = new(MeterName);

    public static readonly ActivitySource Source = new(MeterName);

    public static readonly Histogram<long> BatchSize = Meter.CreateHistogram<long>("plproxy.pgq.batch.size", "{event}", "Events per processed batch");

    public static readonly Histogram<double> BatchLag = Meter.CreateHistogram<double>("plproxy.pgq.batch.lag", "s", "How old a batch's end tick was when the consumer took it");

    public static readonly Counter<long> Events = Meter.CreateCounter<long>("plproxy.pgq.events", "{event}", "Events a hosted consumer's handler completed");

    public static readonly Counter<long> Retries = Meter.CreateCounter<long>("plproxy.pgq.retries", "{event}", "Events deferred to a later batch after their handler failed");

    public static readonly Counter<long> DeadLetters = Meter.CreateCounter<long>("plproxy.pgq.dead_letters", "{event}", "Events given up after their retries and written to plproxy_pgq.dead_letter");

    public static readonly Histogram<double> HandlerDuration = Meter.CreateHistogram<double>("plproxy.pgq.handler.duration", "s", "Time a hosted consumer's handler took per event");
}

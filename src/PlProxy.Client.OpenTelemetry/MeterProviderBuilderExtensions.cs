using PlProxy.Client.Telemetry;

namespace OpenTelemetry.Metrics;

/// <summary>Turns on PlProxy.Client's metrics in an OpenTelemetry meter provider.</summary>
public static class MeterProviderBuilderExtensions
{
    /// <summary>
    /// Listens to PlProxy.Client's meter: <c>db.client.operation.duration</c> and
    /// <c>plproxy.client.partition.duration</c> (seconds, with the bucket boundaries OpenTelemetry's database
    /// conventions advise), and the error, retry and circuit-breaker counters; and the meters of PlProxy.Client's
    /// companion packages (<c>PlProxy.Client.*</c>: PgQ's batch size and lag, events, retries, dead letters, handler
    /// duration).
    /// </summary>
    /// <param name="builder">The meter provider builder.</param>
    /// <returns>The builder.</returns>
    public static MeterProviderBuilder AddPlProxyInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(TelemetryNames.SourceName, TelemetryNames.SourceName + ".*");
    }
}

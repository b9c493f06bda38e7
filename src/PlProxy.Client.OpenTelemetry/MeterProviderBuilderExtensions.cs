using PlProxy.Client.Telemetry;

namespace OpenTelemetry.Metrics;

/// <summary>Turns on PlProxy.Client's metrics in an OpenTelemetry meter provider.</summary>
public static class MeterProviderBuilderExtensions
{
    /// <summary>
    /// Listens to PlProxy.Client's meter: <c>db.client.operation.duration</c> and
    /// <c>plproxy.client.partition.duration</c> (seconds, with the bucket boundaries OpenTelemetry's database
    /// conventions advise), and the error, retry and circuit-breaker counters.
    /// </summary>
    /// <param name="builder">The meter provider builder.</param>
    /// <returns>The builder.</returns>
    public static MeterProviderBuilder AddPlProxyInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(TelemetryNames.SourceName);
    }
}

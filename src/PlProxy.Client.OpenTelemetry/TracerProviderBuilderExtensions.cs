using PlProxy.Client.Telemetry;

namespace OpenTelemetry.Trace;

/// <summary>Turns on PlProxy.Client's traces in an OpenTelemetry tracer provider.</summary>
public static class TracerProviderBuilderExtensions
{
    /// <summary>
    /// Listens to PlProxy.Client's activity source: a client span per proxied call (<c>db.operation.name</c>, the
    /// cluster, the SQLSTATE of a failure) with a child span per partition (<c>db.namespace</c>, <c>server.address</c>,
    /// <c>server.port</c>, the rows read); and the sources of PlProxy.Client's companion packages (<c>PlProxy.Client.*</c>:
    /// PgQ's span per batch).
    /// </summary>
    /// <param name="builder">The tracer provider builder.</param>
    /// <returns>The builder.</returns>
    public static TracerProviderBuilder AddPlProxyInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(TelemetryNames.SourceName, TelemetryNames.SourceName + ".*");
    }
}

using PlProxy.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers PlProxy.Client's data source and generated proxies.</summary>
public interface IPlProxyBuilder
{
    /// <summary>The service collection.</summary>
    IServiceCollection Services { get; }

    /// <summary>Registers the generated implementation of <typeparamref name="TInterface"/> as a singleton.</summary>
    /// <typeparam name="TInterface">An interface marked <see cref="PlProxyAttribute"/>.</typeparam>
    /// <returns>This builder.</returns>
    IPlProxyBuilder AddProxy<TInterface>()
        where TInterface : class;

    /// <summary>
    /// Configures each Npgsql pool the data source builds, with the service provider at hand (as
    /// Npgsql.DependencyInjection's <c>AddNpgsqlDataSource</c> does): a token provider from the container, SSL callbacks,
    /// type plugins. The container's <c>ILoggerFactory</c> is given to every pool without it.
    /// </summary>
    /// <param name="configure">Called once per pool, before it is built.</param>
    /// <returns>This builder.</returns>
    IPlProxyBuilder ConfigureNpgsql(Action<IServiceProvider, PlProxyPoolContext> configure);

    /// <summary>
    /// Configures each partition's Polly pipeline builder with services from the container, e.g. Polly's telemetry:
    /// <c>ConfigureResilience((provider, builder) =&gt; builder.ConfigureTelemetry(provider.GetRequiredService&lt;ILoggerFactory&gt;()))</c>.
    /// Configurations add up, in order.
    /// </summary>
    /// <param name="configure">Configures one builder (its <c>InstanceName</c> is <c>&lt;cluster&gt;/&lt;partition&gt;</c>); it must not add a retry.</param>
    /// <returns>This builder.</returns>
    IPlProxyBuilder ConfigureResilience(Action<IServiceProvider, Polly.ResiliencePipelineBuilder> configure);
}

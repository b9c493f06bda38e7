using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PlProxy.Client.Configuration;

namespace PlProxy.Client.DependencyInjection;

/// <summary>Extension methods that add PlProxy.Client to an <see cref="IServiceCollection"/>.</summary>
public static class PlProxyServiceCollectionExtensions
{
    /// <summary>
    /// Adds PlProxy.Client: the options (validated when the data source is first resolved, and at host start), and a
    /// singleton <see cref="PlProxyDataSource"/> built from them that follows later changes of the options (an
    /// appsettings reload) and is disposed with the service provider. Add proxies with <see cref="IPlProxyBuilder.AddProxy{TInterface}"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Adds the clusters.</param>
    /// <returns>A builder for proxies.</returns>
    public static IPlProxyBuilder AddPlProxy(this IServiceCollection services, Action<PlProxyOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<PlProxyOptions>().Configure(configure);
        return AddCore(services);
    }

    /// <summary>
    /// Adds PlProxy.Client with options bound from a configuration section, e.g. <c>PlProxy</c> holding
    /// <c>Clusters:userdb:Partitions:0</c>, <c>Clusters:userdb:QueryTimeout</c> ... and optionally <c>ProxyDatabase</c>.
    /// A reload of the configuration reconfigures the clusters atomically.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section to bind.</param>
    /// <returns>A builder for proxies.</returns>
    public static IPlProxyBuilder AddPlProxy(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<PlProxyOptions>().Bind(configuration);
        return AddCore(services);
    }

    /// <summary>
    /// Registers the <see cref="PlProxyDataSource"/> <paramref name="dataSource"/> builds, replacing any registered before
    /// (test packages use this to put fake clusters in place of the real ones).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="dataSource">Builds the data source.</param>
    /// <returns>A builder for proxies.</returns>
    public static IPlProxyBuilder AddPlProxy(this IServiceCollection services, Func<IServiceProvider, PlProxyDataSource> dataSource)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(dataSource);
        services.Replace(ServiceDescriptor.Singleton(dataSource));
        return new Builder(services);
    }

    private static Builder AddCore(IServiceCollection services)
    {
        var validator = new PlProxyOptionsValidator(); // the first registration's validator and data source go together
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PlProxyOptions>>(validator));
        services.AddOptions<PlProxyOptions>().ValidateOnStart();
        services.TryAddSingleton(provider =>
        {
            IOptionsMonitor<PlProxyOptions> monitor = provider.GetRequiredService<IOptionsMonitor<PlProxyOptions>>();
            PlProxyDataSource source = PlProxyDataSource.Create(monitor.CurrentValue, provider.GetService<Microsoft.Extensions.Logging.ILoggerFactory>());
            validator.DataSourceServing = true;
            source.OnDispose(monitor.OnChange(options =>
            {
                try
                {
                    source.Reconfigure(options);
                }
                catch (Exception e)
                {
                    // Never thrown into the configuration provider: an invalid reload changes nothing, and says why.
                    Telemetry.Log.ReloadRefused(source.Logger, e.Message);
                }
            }));
            return source;
        });
        return new Builder(services);
    }

    private sealed class Builder(IServiceCollection services) : IPlProxyBuilder
    {
        public IServiceCollection Services { get; } = services;

        public IPlProxyBuilder AddProxy<TInterface>()
            where TInterface : class
        {
            Services.TryAddSingleton(static provider => provider.GetRequiredService<PlProxyDataSource>().CreateProxy<TInterface>());
            return this;
        }
    }
}

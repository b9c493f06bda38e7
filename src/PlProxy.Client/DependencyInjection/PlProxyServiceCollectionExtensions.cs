using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PlProxy.Client;
using PlProxy.Client.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

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
    public static IPlProxyBuilder AddPlProxy(this IServiceCollection services, Action<PlProxyOptions> configure) =>
        AddPlProxy(services, serviceKey: null, configure);

    /// <summary>
    /// Adds a PlProxy.Client data source as a keyed service, for a program with more than one: resolve it (and the
    /// proxies this builder adds) with <c>[FromKeyedServices(serviceKey)]</c> or <c>GetRequiredKeyedService</c>. Its
    /// options are the named options <c>serviceKey.ToString()</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="serviceKey">The key; null registers the unkeyed data source, as the overload without a key does.</param>
    /// <param name="configure">Adds the clusters.</param>
    /// <returns>A builder for proxies of this data source.</returns>
    public static IPlProxyBuilder AddPlProxy(this IServiceCollection services, object? serviceKey, Action<PlProxyOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<PlProxyOptions>(OptionsName(serviceKey)).Configure(configure);
        return AddCore(services, serviceKey);
    }

    /// <summary>
    /// Adds PlProxy.Client with options bound from a configuration section, e.g. <c>PlProxy</c> holding
    /// <c>Clusters:userdb:Partitions:0</c>, <c>Clusters:userdb:QueryTimeout</c> ... and optionally <c>ProxyDatabase</c>.
    /// A reload of the configuration reconfigures the clusters atomically; a reload that is invalid changes nothing
    /// and is logged as a warning.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section to bind.</param>
    /// <returns>A builder for proxies.</returns>
    public static IPlProxyBuilder AddPlProxy(this IServiceCollection services, IConfiguration configuration) =>
        AddPlProxy(services, serviceKey: null, configuration);

    /// <summary>Adds a keyed PlProxy.Client data source (see <see cref="AddPlProxy(IServiceCollection, object?, Action{PlProxyOptions})"/>) with options bound from a configuration section.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="serviceKey">The key; null registers the unkeyed data source.</param>
    /// <param name="configuration">The section to bind.</param>
    /// <returns>A builder for proxies of this data source.</returns>
    public static IPlProxyBuilder AddPlProxy(this IServiceCollection services, object? serviceKey, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        string name = OptionsName(serviceKey);
        services.AddOptions<PlProxyOptions>(name).Bind(configuration);

        // Entries written Name=<name> stand for ConnectionStrings:<name> of the application's configuration (the
        // host's, else the section's own), and a change there reloads the clusters as a change of the section does.
        services.AddOptions<PlProxyOptions>(name).PostConfigure<IServiceProvider>((options, provider) =>
        {
            NamedConnectionString.Resolve(options, provider.GetService<IConfiguration>() ?? configuration);
            BoundSectionCheck.Check(options, configuration);
        });
        services.AddSingleton<IOptionsChangeTokenSource<PlProxyOptions>>(provider =>
            new ConfigurationChangeTokenSource<PlProxyOptions>(name, provider.GetService<IConfiguration>() ?? configuration));
        return AddCore(services, serviceKey);
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
        return new Builder(services, serviceKey: null);
    }

    private static string OptionsName(object? serviceKey) => serviceKey?.ToString() ?? Options.Options.DefaultName;

    private static Builder AddCore(IServiceCollection services, object? serviceKey)
    {
        string name = OptionsName(serviceKey);
        services.AddOptions<PlProxyOptions>(name).ValidateOnStart();
        if (services.Any(d => d.ServiceType == typeof(PlProxyDataSource) && Equals(d.ServiceKey, serviceKey)))
        {
            return new Builder(services, serviceKey); // registered before: more options for the same data source
        }

        var validator = new PlProxyOptionsValidator(name); // this data source's validator: the two go together
        services.AddSingleton<IValidateOptions<PlProxyOptions>>(validator);
        services.Add(ServiceDescriptor.KeyedSingleton(serviceKey, (provider, _) =>
        {
            IOptionsMonitor<PlProxyOptions> monitor = provider.GetRequiredService<IOptionsMonitor<PlProxyOptions>>();
            PlProxyDataSource source = PlProxyDataSource.Create(monitor.Get(name), provider.GetService<Microsoft.Extensions.Logging.ILoggerFactory>());
            validator.DataSourceServing = true;
            source.OnDispose(monitor.OnChange((options, changed) =>
            {
                if ((changed ?? Options.Options.DefaultName) != name)
                {
                    return;
                }

                try
                {
                    source.Reconfigure(options);
                }
                catch (Exception e)
                {
                    // Never thrown into the configuration provider: an invalid reload changes nothing, and says why.
                    PlProxy.Client.Telemetry.Log.ReloadRefused(source.Logger, e.Message);
                }
            }));
            return source;
        }));
        return new Builder(services, serviceKey);
    }

    private sealed class Builder(IServiceCollection services, object? serviceKey) : IPlProxyBuilder
    {
        public IServiceCollection Services { get; } = services;

        public IPlProxyBuilder AddProxy<TInterface>()
            where TInterface : class
        {
            Services.TryAdd(ServiceDescriptor.KeyedSingleton(serviceKey, static (provider, key) =>
                provider.GetRequiredKeyedService<PlProxyDataSource>(key).CreateProxy<TInterface>()));
            var registration = new ProxyRegistration(typeof(TInterface), serviceKey);
            if (!Services.Any(d => d.ImplementationInstance is ProxyRegistration known && known == registration))
            {
                Services.AddSingleton(registration);
            }

            return this;
        }

        public IPlProxyBuilder ConfigureResilience(Action<IServiceProvider, Polly.ResiliencePipelineBuilder> configure)
        {
            ArgumentNullException.ThrowIfNull(configure);
            Services.AddOptions<PlProxyOptions>(OptionsName(serviceKey)).Configure<IServiceProvider>((options, provider) =>
            {
                Action<Polly.ResiliencePipelineBuilder>? earlier = options.ConfigureResilience;
                options.ConfigureResilience = builder =>
                {
                    earlier?.Invoke(builder);
                    configure(provider, builder);
                };
            });
            return this;
        }

        public IPlProxyBuilder ConfigureNpgsql(Action<IServiceProvider, PlProxyPoolContext> configure)
        {
            ArgumentNullException.ThrowIfNull(configure);
            Services.AddOptions<PlProxyOptions>(OptionsName(serviceKey)).Configure<IServiceProvider>((options, provider) =>
            {
                Action<PlProxyPoolContext>? earlier = options.ConfigureNpgsql;
                options.ConfigureNpgsql = context =>
                {
                    earlier?.Invoke(context);
                    configure(provider, context);
                };
            });
            return this;
        }
    }
}

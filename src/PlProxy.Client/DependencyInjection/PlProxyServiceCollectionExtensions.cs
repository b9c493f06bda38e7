using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PlProxy.Client.Configuration;

namespace PlProxy.Client.DependencyInjection;

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
}

/// <summary>Extension methods that add PlProxy.Client to an <see cref="IServiceCollection"/>.</summary>
public static class PlProxyServiceCollectionExtensions
{
    /// <summary>
    /// Adds PlProxy.Client: the options, and a singleton <see cref="PlProxyDataSource"/> built from them (disposed
    /// with the service provider). Add proxies with <see cref="IPlProxyBuilder.AddProxy{TInterface}"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Adds the clusters.</param>
    /// <returns>A builder for proxies.</returns>
    public static IPlProxyBuilder AddPlProxy(this IServiceCollection services, Action<PlProxyOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<PlProxyOptions>().Configure(configure);
        services.TryAddSingleton(static provider => PlProxyDataSource.Create(provider.GetRequiredService<IOptions<PlProxyOptions>>().Value));
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

using Microsoft.Extensions.DependencyInjection;

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

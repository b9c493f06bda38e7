using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using PlProxy.Client.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Start-up behaviour for PlProxy.Client in a .NET host.</summary>
public static class PlProxyHostingExtensions
{
    /// <summary>
    /// Loads, when the host starts, every cluster the proxies registered with <see cref="IPlProxyBuilder.AddProxy{TInterface}"/>
    /// name in their bodies (from the proxy database when it is not configured): a cluster that exists nowhere fails
    /// the start with the <see cref="PlProxy.Client.PlProxyException"/> the first call would have thrown.
    /// Clusters chosen at run time by a cluster function are loaded by their first call, as before.
    /// </summary>
    /// <param name="builder">The PlProxy.Client builder.</param>
    /// <returns>The builder.</returns>
    public static IPlProxyBuilder WarmUpOnStart(this IPlProxyBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PlProxyWarmUp>());
        return builder;
    }
}

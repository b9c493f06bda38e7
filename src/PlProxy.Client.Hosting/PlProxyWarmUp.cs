using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace PlProxy.Client.Hosting;

/// <summary>
/// At host start, loads every cluster the registered proxies name (from the proxy database when it is not configured),
/// so a missing one fails the start rather than the first call.
/// </summary>
internal sealed class PlProxyWarmUp(IServiceProvider services, IEnumerable<ProxyRegistration> registrations) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (ProxyRegistration registration in registrations)
        {
            PlProxyDataSource source = services.GetRequiredKeyedService<PlProxyDataSource>(registration.ServiceKey);
            await source.WarmUpAsync(registration.Interface, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

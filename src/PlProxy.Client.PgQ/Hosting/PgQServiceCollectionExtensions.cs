using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PlProxy.Client.PgQ;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers hosted PgQ consumers.</summary>
public static class PgQServiceCollectionExtensions
{
    /// <summary>
    /// Runs a PgQ consumer as a hosted service, handing each event to <typeparamref name="THandler"/> (resolved once,
    /// as a singleton): see <see cref="IPgQEventHandler"/> for retries and dead letters.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The consumer's options name (several consumers may run side by side).</param>
    /// <param name="configure">Sets the queue's connection string, queue and consumer name, and the retry limits.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddPgQConsumer<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(this IServiceCollection services, string name, Action<PgQConsumerServiceOptions> configure)
        where THandler : class, IPgQEventHandler
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<PgQConsumerServiceOptions>(name).Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PgQConsumerServiceOptions>, PgQConsumerServiceOptionsValidator>());
        services.TryAddSingleton<THandler>();
        services.AddSingleton<IHostedService>(provider => new PgQConsumerService<THandler>(
            name, provider.GetRequiredService<IOptionsMonitor<PgQConsumerServiceOptions>>(), provider.GetRequiredService<THandler>(),
            provider.GetRequiredService<ILogger<PgQConsumerService<THandler>>>()));
        return services;
    }
}

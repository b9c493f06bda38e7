namespace Microsoft.Extensions.DependencyInjection;

/// <summary>A proxy interface registered with <see cref="IPlProxyBuilder.AddProxy{TInterface}"/>, and the key of its data source: what the hosting package's warm-up loads.</summary>
internal sealed record ProxyRegistration(Type Interface, object? ServiceKey);

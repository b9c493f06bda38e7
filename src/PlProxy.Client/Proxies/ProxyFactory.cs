using System.ComponentModel;

namespace PlProxy.Client.Proxies;

/// <summary>
/// Where generated code registers the implementation of each proxy interface, from a module initializer: the runtime
/// finds it through a static generic slot, with no assembly scanning and no reflection.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ProxyFactory
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, string[]> Clusters = new();

    /// <summary>Registers the generated implementation of <typeparamref name="TInterface"/>.</summary>
    /// <typeparam name="TInterface">The proxy interface.</typeparam>
    /// <param name="factory">Creates the implementation over a data source's executor.</param>
    /// <param name="clusters">The clusters its bodies name (not those a cluster function computes), for the warm-up at start.</param>
    public static void Register<TInterface>(Func<ProxyExecutor, TInterface> factory, string[] clusters)
        where TInterface : class
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(clusters);
        Slot<TInterface>.Factory = factory;
        Clusters[typeof(TInterface)] = clusters;
    }

    /// <summary>The clusters the bodies of <paramref name="proxyInterface"/> name, or null when it has no generated implementation.</summary>
    internal static string[]? ClustersOf(Type proxyInterface) => Clusters.TryGetValue(proxyInterface, out string[]? clusters) ? clusters : null;

    internal static Func<ProxyExecutor, TInterface>? Find<TInterface>()
        where TInterface : class => Slot<TInterface>.Factory;

    private static class Slot<TInterface>
        where TInterface : class
    {
        public static Func<ProxyExecutor, TInterface>? Factory;
    }
}

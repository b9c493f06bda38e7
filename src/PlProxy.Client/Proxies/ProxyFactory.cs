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

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, Type[]> Inherited = new();

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

    /// <summary>
    /// Registers the generated implementation of <typeparamref name="TInterface"/>, which inherits other proxy
    /// interfaces: their methods are passed on to their own implementations, and their clusters are warmed up with its own.
    /// </summary>
    /// <typeparam name="TInterface">The proxy interface.</typeparam>
    /// <param name="factory">Creates the implementation over a data source's executor.</param>
    /// <param name="clusters">The clusters its own bodies name.</param>
    /// <param name="inherited">The proxy interfaces it inherits whose methods it passes on.</param>
    public static void Register<TInterface>(Func<ProxyExecutor, TInterface> factory, string[] clusters, Type[] inherited)
        where TInterface : class
    {
        ArgumentNullException.ThrowIfNull(inherited);
        Register(factory, clusters);
        Inherited[typeof(TInterface)] = inherited;
    }

    /// <summary>The generated implementation of <typeparamref name="TInterface"/> over <paramref name="executor"/>.</summary>
    /// <typeparam name="TInterface">A proxy interface.</typeparam>
    /// <param name="executor">The data source's executor.</param>
    /// <returns>The proxy.</returns>
    /// <exception cref="InvalidOperationException">No implementation was generated for the interface.</exception>
    public static TInterface Create<TInterface>(ProxyExecutor executor)
        where TInterface : class
    {
        ArgumentNullException.ThrowIfNull(executor);
        if (Slot<TInterface>.Factory is null)
        {
            LoadRegistrations(typeof(TInterface));
        }

        Func<ProxyExecutor, TInterface> factory = Slot<TInterface>.Factory
            ?? throw new InvalidOperationException(
                $"No PL/Proxy implementation was generated for {typeof(TInterface).FullName}. Mark the interface with [PlProxy] and make sure its project references the PlProxy.Client package, which brings the source generator.");
        return factory(executor);
    }

    /// <summary>
    /// The clusters the bodies of <paramref name="proxyInterface"/> and of the proxy interfaces it inherits name, or
    /// null when it has no generated implementation.
    /// </summary>
    internal static string[]? ClustersOf(Type proxyInterface)
    {
        if (!Clusters.ContainsKey(proxyInterface))
        {
            LoadRegistrations(proxyInterface);
        }

        if (!Clusters.TryGetValue(proxyInterface, out string[]? clusters))
        {
            return null;
        }

        if (!Inherited.TryGetValue(proxyInterface, out Type[]? inherited))
        {
            return clusters;
        }

        var all = new SortedSet<string>(clusters, StringComparer.Ordinal);
        foreach (Type parent in inherited)
        {
            all.UnionWith(ClustersOf(parent) ?? throw new InvalidOperationException($"No PL/Proxy implementation was generated for {parent.FullName}, which {proxyInterface.FullName} inherits."));
        }

        return [.. all];
    }

    // An interface's implementation is registered by its assembly's module initializer, which the runtime may not have run yet.
    private static void LoadRegistrations(Type proxyInterface) =>
        System.Runtime.CompilerServices.RuntimeHelpers.RunModuleConstructor(proxyInterface.Module.ModuleHandle);

    private static class Slot<TInterface>
        where TInterface : class
    {
        public static Func<ProxyExecutor, TInterface>? Factory;
    }
}

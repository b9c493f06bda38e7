using System.ComponentModel;

namespace PlProxy.Client.Proxies;

/// <summary>
/// Where generated code registers the implementation of each proxy interface, from a module initializer: the runtime
/// finds it through a static generic slot, with no assembly scanning and no reflection.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ProxyFactory
{
    /// <summary>Registers the generated implementation of <typeparamref name="TInterface"/>.</summary>
    /// <typeparam name="TInterface">The proxy interface.</typeparam>
    /// <param name="factory">Creates the implementation over a data source's executor.</param>
    public static void Register<TInterface>(Func<ProxyExecutor, TInterface> factory)
        where TInterface : class
    {
        ArgumentNullException.ThrowIfNull(factory);
        Slot<TInterface>.Factory = factory;
    }

    internal static Func<ProxyExecutor, TInterface>? Find<TInterface>()
        where TInterface : class => Slot<TInterface>.Factory;

    private static class Slot<TInterface>
        where TInterface : class
    {
        public static Func<ProxyExecutor, TInterface>? Factory;
    }
}

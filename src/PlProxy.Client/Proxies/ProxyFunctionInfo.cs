using System.ComponentModel;

namespace PlProxy.Client.Proxies;

/// <summary>
/// A function bodies may call in RUN ON, CLUSTER or CONNECT (a static method of the interface) as generated code
/// describes it: init properties, like <see cref="ProxyMethodInfo"/>, so the contract grows by properties.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ProxyFunctionInfo
{
    /// <summary>The name bodies call it by.</summary>
    public string Name { get; init; } = "";

    /// <summary>The PostgreSQL types of its arguments.</summary>
    public string[] ParameterTypes { get; init; } = [];

    /// <summary>The PostgreSQL type of its result (of each element, for a set).</summary>
    public string ResultType { get; init; } = "";

    /// <summary>True when it returns several values.</summary>
    public bool ReturnsSet { get; init; }

    /// <summary>Calls it: arguments as .NET values, result as a .NET value (an <see cref="System.Collections.IEnumerable"/> for a set).</summary>
    public Func<object?[], object?>? Invoke { get; init; }
}

namespace PlProxy.Client;

/// <summary>
/// Marks a static method of a <see cref="PlProxyAttribute"/> interface as a function that <c>CLUSTER</c> may call
/// by <paramref name="name"/> to choose the cluster from the arguments; it returns the cluster name.
/// </summary>
/// <param name="name">The name bodies call it by.</param>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class ClusterFunctionAttribute(string name) : Attribute
{
    /// <summary>The name bodies call it by.</summary>
    public string Name { get; } = name;
}

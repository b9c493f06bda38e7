namespace PlProxy.Client;

/// <summary>
/// Marks a static method of a <see cref="PlProxyAttribute"/> interface as a function that <c>CONNECT</c> may call
/// by <paramref name="name"/>; it returns the connection string of the database to run on.
/// </summary>
/// <param name="name">The name bodies call it by.</param>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class ConnectFunctionAttribute(string name) : Attribute
{
    /// <summary>The name bodies call it by.</summary>
    public string Name { get; } = name;
}

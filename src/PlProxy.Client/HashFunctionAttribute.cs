namespace PlProxy.Client;

/// <summary>
/// Marks a static method of a <see cref="PlProxyAttribute"/> interface as a function that <c>RUN ON</c> may call
/// by <paramref name="name"/>: it returns the hash (<see cref="short"/>, <see cref="int"/> or <see cref="long"/>),
/// or several hashes (<see cref="IEnumerable{T}"/> of them) for set-returning methods.
/// </summary>
/// <param name="name">The name bodies call it by.</param>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class HashFunctionAttribute(string name) : Attribute
{
    /// <summary>The name bodies call it by.</summary>
    public string Name { get; } = name;
}

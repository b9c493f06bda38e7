namespace PlProxy.Client;

/// <summary>
/// A PL/Proxy body: on an interface, statements shared by every method (typically <c>CLUSTER 'userdb';</c>); on a
/// method, how that method is routed and what it runs remotely (<c>RUN ON hashtext(username);</c>).
/// The source generator implements the interface from these bodies.
/// </summary>
[AttributeUsage(AttributeTargets.Interface | AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class PlProxyAttribute : Attribute
{
    /// <summary>Creates the attribute.</summary>
    /// <param name="body">The PL/Proxy statements, exactly as in a <c>LANGUAGE plproxy</c> function.</param>
    public PlProxyAttribute(string body) => Body = body;

    /// <summary>The PL/Proxy statements.</summary>
    public string Body { get; }

    /// <summary>
    /// On a method: its statements replace the interface's statements of the same kind (and its CONNECT replaces the
    /// interface's CLUSTER and RUN). Without it, giving a statement at both levels is an error (PLPX2011).
    /// </summary>
    public bool ReplacesInterfaceStatements { get; set; }
}

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

/// <summary>
/// The PostgreSQL type a parameter is sent as, overriding the type mapped from its .NET type (e.g. <c>varchar</c>);
/// on a scalar result (<c>[return: PgType("timestamp")]</c>), the type the remote result is read as.
/// </summary>
/// <param name="typeName">The PostgreSQL type name.</param>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.ReturnValue, AllowMultiple = false, Inherited = false)]
public sealed class PgTypeAttribute(string typeName) : Attribute
{
    /// <summary>The PostgreSQL type name.</summary>
    public string TypeName { get; } = typeName;
}

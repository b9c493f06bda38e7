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

using System.ComponentModel;
using PlProxy.Client.Planning;

namespace PlProxy.Client.Proxies;

/// <summary>
/// A proxy method as the source generator describes it: its bodies, parameters and result, bound once with the
/// same parser and binder the generator validated them with. Generated code keeps one in a static field.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ProxyMethod
{
    private ProxyMethod(RemoteCall call) => Call = call;

    /// <summary>The remote function and argument count as PL/Proxy names it in errors: <c>get_balance(1)</c>.</summary>
    public string DisplayName => Call.DisplayName;

    internal RemoteCall Call { get; }

    /// <summary>Binds a method's body and builds its remote query.</summary>
    /// <param name="functionName">The remote function name: TARGET's, else the method's in snake_case.</param>
    /// <param name="interfaceBody">The interface-level body, or null.</param>
    /// <param name="body">The method's body.</param>
    /// <param name="replacesInterfaceStatements">Whether the method's statements replace the interface's.</param>
    /// <param name="parameters">The arguments.</param>
    /// <param name="returnsSet">True for a list or stream of rows.</param>
    /// <param name="resultPgType">The PostgreSQL type of a scalar result; null for a composite (columns by name) or void result.</param>
    /// <param name="isVoid">True when the method returns nothing.</param>
    /// <param name="functions">The interface's hash, cluster and connect functions.</param>
    /// <param name="idempotent">True for an <c>[Idempotent]</c> method.</param>
    /// <returns>The bound method.</returns>
    /// <exception cref="InvalidOperationException">A body does not bind (the generator reports this at compile time, so it means a mismatched generator).</exception>
    public static ProxyMethod Create(
        string functionName,
        string? interfaceBody,
        string body,
        bool replacesInterfaceStatements,
        ProxyParameter[] parameters,
        bool returnsSet,
        string? resultPgType,
        bool isVoid,
        ProxyFunction[] functions,
        bool idempotent = false) =>
        new(RemoteCall.Bind(
            functionName,
            interfaceBody,
            body,
            replacesInterfaceStatements,
            [.. parameters.Select(p => (p.Name, p.PgType))],
            returnsSet,
            resultPgType,
            isVoid,
            [.. functions.Select(f => f.Function)],
            idempotent));
}

using System.ComponentModel;
using PlProxy.Client.Language;
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
    /// <param name="info">The method as the generator describes it.</param>
    /// <returns>The bound method.</returns>
    /// <exception cref="ArgumentException">The description names no function or body.</exception>
    /// <exception cref="InvalidOperationException">A body does not bind (the generator reports this at compile time, so it means a mismatched generator).</exception>
    public static ProxyMethod Create(ProxyMethodInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentException.ThrowIfNullOrEmpty(info.FunctionName, nameof(info));
        ArgumentNullException.ThrowIfNull(info.Body, nameof(info));
        MergeKey[]? order = null;
        int limit = -1;
        if (info.MergeOrder is { } text)
        {
            order = Language.MergeOrder.Parse(text, out string? error) ?? throw new ArgumentException($"[MergeOrder(\"{text}\")] of {info.FunctionName}: {error}.", nameof(info));
            if (info.LimitParameter is { } name)
            {
                limit = Array.FindIndex(info.Parameters, p => p.Name == name);
                if (limit < 0)
                {
                    throw new ArgumentException($"[Limit] of {info.FunctionName} names '{name}', which is not one of its parameters.", nameof(info));
                }
            }
        }

        return new(RemoteCall.Bind(
            info.FunctionName,
            info.InterfaceBody,
            info.Body,
            info.ReplacesInterfaceStatements,
            [.. info.Parameters.Select(p => (p.Name, p.PgType))],
            info.ReturnsSet,
            info.ResultPgType,
            info.IsVoid,
            [.. info.Functions.Select(f => f.Function)],
            info.Idempotent,
            !info.NotCoalesced,
            info.ReadFromStandby,
            order,
            limit));
    }
}

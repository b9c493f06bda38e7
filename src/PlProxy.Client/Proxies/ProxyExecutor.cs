using System.ComponentModel;
using PlProxy.Client.Execution;

namespace PlProxy.Client.Proxies;

/// <summary>
/// What a generated proxy holds: the executor of the data source that created it. Opaque; generated code passes it
/// to <see cref="ProxyCalls"/>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ProxyExecutor
{
    internal ProxyExecutor(CallExecutor calls) => Calls = calls;

    internal CallExecutor Calls { get; }
}

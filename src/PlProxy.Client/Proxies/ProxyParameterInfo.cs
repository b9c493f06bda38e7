using System.ComponentModel;

namespace PlProxy.Client.Proxies;

/// <summary>One parameter of a proxy method as generated code describes it (see <see cref="ProxyMethodInfo"/>).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ProxyParameterInfo
{
    /// <summary>The parameter's name as bodies refer to it.</summary>
    public string Name { get; init; } = "";

    /// <summary>The PostgreSQL type it is sent as (<c>text</c>, <c>int4[]</c> ...).</summary>
    public string PgType { get; init; } = "";
}

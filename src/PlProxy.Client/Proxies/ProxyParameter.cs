using System.ComponentModel;

namespace PlProxy.Client.Proxies;

/// <summary>One parameter of a proxy method: its name as bodies refer to it and the PostgreSQL type it is sent as.</summary>
/// <param name="Name">The parameter name.</param>
/// <param name="PgType">The PostgreSQL type name (<c>text</c>, <c>int4[]</c> ...).</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct ProxyParameter(string Name, string PgType);

using PlProxy.Client.Configuration;

namespace PlProxy.Client.Tool.Scaffolding.Mapping;

/// <summary>What a scaffolding run produced.</summary>
/// <param name="Database">The proxy database (host, port and name; no password).</param>
/// <param name="FunctionCount">The plproxy functions in the database.</param>
/// <param name="FilteredOut">How many of them the filters left out.</param>
/// <param name="Methods">The functions that became methods.</param>
/// <param name="Interfaces">The interfaces and their methods.</param>
/// <param name="Unmapped">The functions that could not be mapped, with the reason.</param>
/// <param name="Clusters">The clusters the methods name, as read from the proxy database.</param>
/// <param name="ClusterErrors">Clusters that could not be read, with the error.</param>
/// <param name="PasswordsLeftOut">True when a partition's password was left out of the appsettings fragment.</param>
/// <param name="Files">The files to write: name and content.</param>
internal sealed record ScaffoldResult(
    string Database,
    int FunctionCount,
    int FilteredOut,
    IReadOnlyList<ScaffoldMethod> Methods,
    IReadOnlyList<(string Interface, IReadOnlyList<ScaffoldMethod> Methods)> Interfaces,
    IReadOnlyList<UnmappedFunction> Unmapped,
    IReadOnlyList<(string Name, PlProxyClusterOptions Options)> Clusters,
    IReadOnlyList<(string Name, string Error)> ClusterErrors,
    bool PasswordsLeftOut,
    IReadOnlyList<(string Name, string Content)> Files);

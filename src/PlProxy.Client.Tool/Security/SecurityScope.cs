using System.CommandLine;
using PlProxy.Client.Connections;
using PlProxy.Client.Partconf;
using PlProxy.Client.Tool.Resharding;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Security;

/// <summary>
/// What grant and verify --role work on: the cluster's partition databases (from the proxy database, or the
/// application's appsettings) and the functions it publishes (from the proxy database's functions, or for a cluster
/// configured in the application, its assembly's generated proxies or a list).
/// </summary>
internal sealed class SecurityScope() : ClusterOptions(
    proxyDescription: "The proxy database that defines the cluster and its functions (Npgsql or libpq form)",
    configDescription: "Instead of --proxy: the application's appsettings.json that configures the cluster (PlProxy:Clusters:<name>); the functions then come from --assembly or --functions")
{
    public Option<string> Assembly { get; } = new("--assembly") { Description = "With --config: the application's assembly, whose generated proxies name the functions the cluster's calls run" };

    public Option<string[]> Functions { get; } = new("--functions") { Description = "With --config: the partition functions the application calls, each name(type, ...)", AllowMultipleArgumentsPerToken = true };

    protected override IEnumerable<Option> Trailing => [.. base.Trailing, Assembly, Functions];

    /// <summary>The partition databases (Npgsql form, distinct), the published functions, and what cannot be granted.</summary>
    public async Task<(List<string> Databases, List<PublishedFunction> Functions, List<string> Skipped)> ReadAsync(ParseResult result, CancellationToken cancellationToken)
    {
        string cluster = result.GetValue(Cluster)!;
        if (result.GetValue(Proxy) is { } proxy)
        {
            (List<PublishedFunction> functions, List<string> skipped) = await PublishedFunctions.ReadAsync(proxy, cluster, cancellationToken).ConfigureAwait(false);
            List<string> databases = [.. (await PartconfDatabase.DatabasesAsync(proxy, cluster, cancellationToken).ConfigureAwait(false)).Databases.Select(d => d.ConnectionString).Distinct(StringComparer.Ordinal)];
            return (databases, functions, skipped);
        }

        string config = result.GetValue(Config)!; // one of --proxy and --config (ClusterOptions)
        List<string> configured = [.. ConfiguredCluster.Read(config, cluster).Definition.Options.Partitions.Select(ConnectionStrings.ToNpgsql).Distinct(StringComparer.Ordinal)];
        if (result.GetValue(Assembly) is { } assembly)
        {
            (List<PublishedFunction> functions, List<string> skipped) = ApplicationFunctions.FromAssembly(assembly, cluster);
            return (configured, functions, skipped);
        }

        return result.GetValue(Functions) is { Length: > 0 } list
            ? (configured, ApplicationFunctions.FromList(list), [])
            : throw ToolRefusal.BadInput("With --config, say which functions the application calls: --assembly <app.dll> or --functions name(type, ...) ...");
    }
}

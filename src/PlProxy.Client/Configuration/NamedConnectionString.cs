using Microsoft.Extensions.Configuration;

namespace PlProxy.Client.Configuration;

/// <summary>
/// A connection string given by name, <c>Name=&lt;name&gt;</c> (as EF Core's <c>UseNpgsql("Name=...")</c> takes it): a
/// partition or proxy database entry in <c>PlProxy:Clusters</c> that stands for <c>ConnectionStrings:&lt;name&gt;</c>
/// (or the full key), so passwords live in user secrets, environment variables or a vault, not inline in the clusters.
/// Resolved when options are bound from configuration; a name the configuration lacks stays as written and the
/// options' validation names it.
/// </summary>
internal static class NamedConnectionString
{
    private const string Prefix = "Name=";

    /// <summary>The name an entry refers to, or null when it is a connection string itself.</summary>
    public static string? NameOf(string entry)
    {
        string trimmed = entry.Trim();
        return trimmed.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) && trimmed.Length > Prefix.Length && !trimmed.Contains(';', StringComparison.Ordinal)
            ? trimmed[Prefix.Length..].Trim()
            : null;
    }

    /// <summary>Replaces every named entry of <paramref name="options"/> the configuration defines by its connection string.</summary>
    public static void Resolve(PlProxyOptions options, IConfiguration configuration)
    {
        options.ProxyDatabase = Resolved(options.ProxyDatabase, configuration);
        foreach (PlProxyClusterOptions cluster in options.Clusters.Values)
        {
            for (int i = 0; i < cluster.Partitions.Count; i++)
            {
                cluster.Partitions[i] = Resolved(cluster.Partitions[i], configuration)!;
            }
        }
    }

    private static string? Resolved(string? entry, IConfiguration configuration) =>
        entry is not null && NameOf(entry) is { } name && (configuration.GetConnectionString(name) ?? configuration[name]) is { Length: > 0 } value ? value : entry;
}

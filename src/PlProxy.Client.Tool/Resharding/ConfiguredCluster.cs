using System.Text.Json;
using System.Text.Json.Nodes;
using PlProxy.Client.Clusters;
using PlProxy.Client.Configuration;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>
/// A cluster configured in an application's appsettings (<c>PlProxy:Clusters:&lt;name&gt;</c>), which has no proxy database
/// to switch: a split or move writes the new fragment to a file of its own for the application's configuration.
/// </summary>
internal static class ConfiguredCluster
{
    /// <summary>The cluster's definition and its JSON object, read from <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentException">The file has no such cluster, or its definition cannot be read.</exception>
    public static (ProxyClusterDefinition Definition, JsonObject Json) Read(string path, string cluster)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw ToolRefusal.BadInput($"--config {path} cannot be read: {e.Message}", e);
        }

        JsonObject json = Property(Property(Property(root, "PlProxy"), "Clusters"), cluster) as JsonObject
            ?? throw ToolRefusal.BadInput($"--config {path} has no cluster PlProxy:Clusters:{cluster}.");
        var options = new PlProxyClusterOptions();
        if (Property(json, "Partitions") is JsonArray partitions)
        {
            foreach (JsonNode? partition in partitions)
            {
                options.Partitions.Add(partition?.GetValue<string>() ?? "");
            }
        }

        options.ModularMapping = Property(json, "ModularMapping")?.GetValueKind() == JsonValueKind.True
            || string.Equals(Property(json, "ModularMapping")?.ToString(), "true", StringComparison.OrdinalIgnoreCase);
        if (Property(json, "HashFlavor")?.ToString() is { } flavor)
        {
            options.HashFlavor = Enum.TryParse(flavor, ignoreCase: true, out PlProxyHashFlavor parsed)
                ? parsed
                : throw ToolRefusal.BadInput($"--config {path}: cluster {cluster} has HashFlavor '{flavor}', which is neither Modern nor Legacy83.");
        }

        if (Property(json, "ProxyDatabaseEncoding")?.ToString() is { } encoding)
        {
            options.ProxyDatabaseEncoding = encoding; // checked with the rest of the definition
        }

        return (new ProxyClusterDefinition("configuration", options), json);
    }

    /// <summary>The appsettings fragment that defines <paramref name="cluster"/> with <paramref name="partitions"/>, its other settings kept.</summary>
    public static string Fragment(string cluster, JsonObject json, IReadOnlyList<string> partitions)
    {
        var copy = (JsonObject)json.DeepClone();
        string key = copy.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, "Partitions", StringComparison.OrdinalIgnoreCase)) ?? "Partitions";
        copy[key] = new JsonArray([.. partitions.Select(p => (JsonNode?)JsonValue.Create(p))]);
        var fragment = new JsonObject { ["PlProxy"] = new JsonObject { ["Clusters"] = new JsonObject { [cluster] = copy } } };
        return fragment.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + Environment.NewLine;
    }

    // Configuration keys are case-insensitive.
    /// <summary>The partitions of the other clusters of the configuration <paramref name="cluster"/> (a cluster's object, as <see cref="Read"/> gives it) belongs to.</summary>
    public static IEnumerable<(string Cluster, string Partition)> Others(JsonObject cluster)
    {
        if (cluster.Parent is not JsonObject clusters)
        {
            yield break;
        }

        foreach ((string name, JsonNode? other) in clusters)
        {
            if (!ReferenceEquals(other, cluster) && Property(other, "Partitions") is JsonArray partitions)
            {
                foreach (JsonNode? partition in partitions)
                {
                    if (partition?.GetValueKind() == JsonValueKind.String)
                    {
                        yield return (name, partition.GetValue<string>());
                    }
                }
            }
        }
    }

    private static JsonNode? Property(JsonNode? node, string name) =>
        node is JsonObject json ? json.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value : null;
}

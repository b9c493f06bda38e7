using System.Reflection;

namespace PlProxy.Client.Tests.Architecture;

/// <summary>
/// The runtime's dependency rule, checked over its compiled types: Hashing, Language, Telemetry ← Planning ←
/// Connections ← Resilience ← Configuration ← Clusters ← Partconf ← Execution ← Proxies ← the façade ← DependencyInjection (in Microsoft.Extensions.DependencyInjection). A
/// namespace uses only namespaces of lower layers, so no two namespaces use each other. The root namespace holds both
/// ends: the user's vocabulary (attributes, exceptions, results), which every layer may use and which uses no layer,
/// and the façade (<see cref="PlProxyDataSource"/>, <see cref="PlProxyCommand"/>), which sits on top.
/// </summary>
public sealed class LayeringTests
{
    private const string Root = "PlProxy.Client";

    // The DI extensions live in Microsoft's namespace, as Npgsql's, Polly's and the health checks' do.
    private const string DependencyInjection = "Microsoft.Extensions.DependencyInjection";

    private static readonly Dictionary<string, int> Layers = new(StringComparer.Ordinal)
    {
        [$"{Root}.Hashing"] = 1,
        [$"{Root}.Language"] = 1,
        [$"{Root}.Telemetry"] = 1,
        [$"{Root}.Planning"] = 2,
        [$"{Root}.Connections"] = 3,
        [$"{Root}.Resilience"] = 4,
        [$"{Root}.Configuration"] = 5,
        [$"{Root}.Clusters"] = 6,
        [$"{Root}.Partconf"] = 7,
        [$"{Root}.Execution"] = 8,
        [$"{Root}.Proxies"] = 9,
        [$"{Root} (façade)"] = 10,
        [DependencyInjection] = 11,
    };

    // The root namespace's types that sit on top; every other root type is vocabulary, below every layer.
    private static readonly HashSet<string> Facade = new(StringComparer.Ordinal)
    {
        $"{Root}.PlProxyDataSource",
        $"{Root}.PlProxyCommand",
    };

    private static readonly Assembly Runtime = typeof(PlProxyDataSource).Assembly;

    [Fact]
    public void RuntimeNamespaces_AreAllPlaced()
    {
        string[] unplaced = [.. Runtime.GetTypes()
            .Select(t => t.Namespace ?? "")
            .Where(n => n.StartsWith(Root, StringComparison.Ordinal) && n != Root && !Layers.ContainsKey(n))
            .Distinct()
            .Order(StringComparer.Ordinal)];

        Assert.Empty(unplaced);
    }

    [Fact]
    public void RuntimeTypes_UseOnlyLowerLayers()
    {
        var violations = new List<string>();
        foreach ((Type user, HashSet<Type> used) in NamespaceReferences.Of(Runtime))
        {
            if (Place(user) is not { } from)
            {
                continue;
            }

            foreach (Type usedType in used)
            {
                if (Place(usedType) is { } to && from.Area != to.Area && from.Layer <= to.Layer)
                {
                    violations.Add($"{user.FullName} ({from.Area}) uses {usedType.FullName} ({to.Area})");
                }
            }
        }

        violations.Sort(StringComparer.Ordinal);
        Assert.True(violations.Count == 0, $"{violations.Count} references against the layering:{Environment.NewLine}{string.Join(Environment.NewLine, violations)}");
    }

    private static (string Area, int Layer)? Place(Type type)
    {
        string? ns = type.Namespace;
        if (type.Assembly != Runtime)
        {
            return null;
        }

        if (ns == Root)
        {
            return Facade.Contains(type.FullName!) ? ($"{Root} (façade)", Layers[$"{Root} (façade)"]) : ($"{Root} (vocabulary)", 0);
        }

        return ns is not null && Layers.TryGetValue(ns, out int layer) ? (ns, layer) : null;
    }
}

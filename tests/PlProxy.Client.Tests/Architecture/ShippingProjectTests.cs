using System.Reflection;
using PlProxy.Client.PgQ;
using PlProxy.Client.Testing;
using PlProxy.Client.TestSupport;

namespace PlProxy.Client.Tests.Architecture;

/// <summary>
/// The house rules beyond the runtime: every shipping project keeps a public type per file named for it, no file past
/// what one reading holds, and one dependency direction between its namespaces (no two use each other, directly or
/// through others). The runtime's own, stricter order is <see cref="LayeringTests"/>.
/// </summary>
public sealed class ShippingProjectTests
{
    private const int MaxFileLines = 450;

    private static readonly Assembly[] Shipping =
    [
        typeof(PlProxyDataSource).Assembly,
        typeof(FakeCluster).Assembly,
        Assembly.Load("PlProxy.Client.Hosting"),
        Assembly.Load("PlProxy.Client.OpenTelemetry"),
        typeof(PgQConsumer).Assembly,
        Assembly.Load("PlProxy.Client.Tool"),
    ];

    public static TheoryData<string> ShippingAssemblies => [.. Shipping.Select(a => a.GetName().Name!)];

    // The runtime's root namespace holds both the user's vocabulary and the façade: its order is LayeringTests'.
    public static TheoryData<string> CompanionAssemblies => [.. Shipping.Skip(1).Select(a => a.GetName().Name!)];

    public static TheoryData<string> ShippingProjects => [.. Directory.EnumerateDirectories(Path.Combine(Repository.Root, "src")).Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(ShippingAssemblies))]
    public void PublicTypes_EachInAFileOfItsOwnName(string assemblyName)
    {
        Assembly assembly = Shipping.Single(a => a.GetName().Name == assemblyName);
        HashSet<string> files = [.. SourceFiles(assemblyName).Select(f => Path.GetFileNameWithoutExtension(f))];

        string[] misplaced = [.. assembly.GetExportedTypes()
            .Where(t => !t.IsNested)
            .Select(t => t.Name.Split('`')[0])
            .Where(name => !files.Contains(name))];

        Assert.Empty(misplaced);
    }

    [Theory]
    [MemberData(nameof(ShippingProjects))]
    public void Files_StayUnderTheLineLimit(string project)
    {
        string root = Path.Combine(Repository.Root, "src", project);
        string[] tooLong = [.. SourceFiles(project)
            .Select(f => (File: Path.GetRelativePath(root, f), Lines: File.ReadAllLines(f).Length))
            .Where(f => f.Lines > MaxFileLines)
            .Select(f => $"{f.File}: {f.Lines} lines")];

        Assert.Empty(tooLong);
    }

    [Theory]
    [MemberData(nameof(CompanionAssemblies))]
    public void Namespaces_DependInOneDirection(string assemblyName)
    {
        Assembly assembly = Shipping.Single(a => a.GetName().Name == assemblyName);
        var edges = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach ((Type user, HashSet<Type> used) in NamespaceReferences.Of(assembly))
        {
            if (user.Namespace is not { } from)
            {
                continue;
            }

            foreach (string to in used.Select(t => t.Namespace).OfType<string>().Where(n => n != from))
            {
                (edges.TryGetValue(from, out HashSet<string>? targets) ? targets : edges[from] = new(StringComparer.Ordinal)).Add(to);
            }
        }

        string[] cycles = [.. edges.Keys.Order(StringComparer.Ordinal)
            .Select(start => PathBack(edges, start))
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)];

        Assert.True(cycles.Length == 0, $"namespaces that use each other:{Environment.NewLine}{string.Join(Environment.NewLine, cycles)}");
    }

    // A path of uses from start back to itself, as "a -> b -> a", or null when there is none.
    private static string? PathBack(Dictionary<string, HashSet<string>> edges, string start)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<List<string>>([[start]]);
        while (queue.TryDequeue(out List<string>? path))
        {
            foreach (string next in edges.GetValueOrDefault(path[^1]) ?? [])
            {
                if (next == start)
                {
                    return string.Join(" -> ", [.. path, start]);
                }

                if (seen.Add(next))
                {
                    queue.Enqueue([.. path, next]);
                }
            }
        }

        return null;
    }

    private static IEnumerable<string> SourceFiles(string project) =>
        Directory.EnumerateFiles(Path.Combine(Repository.Root, "src", project), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
}

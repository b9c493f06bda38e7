using System.Reflection;
using PlProxy.Client.Testing;
using PlProxy.Client.TestSupport;

namespace PlProxy.Client.Tests.Architecture;

/// <summary>
/// The house rules a reader relies on to find things: a public type lives in a file named for it, and no file of the
/// runtime grows past what one reading holds.
/// </summary>
public sealed class SourceLayoutTests
{
    private const int MaxRuntimeFileLines = 450;

    public static TheoryData<string> ShippedAssemblies => [typeof(PlProxyDataSource).Assembly.GetName().Name!, typeof(FakeCluster).Assembly.GetName().Name!];

    [Theory]
    [MemberData(nameof(ShippedAssemblies))]
    public void PublicTypes_EachInAFileOfItsOwnName(string assemblyName)
    {
        Assembly assembly = Assembly.Load(assemblyName);
        string project = Path.Combine(Repository.Root, "src", assemblyName);
        HashSet<string> files = [.. Directory.EnumerateFiles(project, "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(f))
            .Select(f => Path.GetFileNameWithoutExtension(f))];

        string[] misplaced = [.. assembly.GetExportedTypes()
            .Where(t => !t.IsNested)
            .Select(t => t.Name.Split('`')[0])
            .Where(name => !files.Contains(name))];

        Assert.Empty(misplaced);
    }

    [Fact]
    public void RuntimeFiles_StayUnderTheLineLimit()
    {
        string project = Path.Combine(Repository.Root, "src", "PlProxy.Client");
        string[] tooLong = [.. Directory.EnumerateFiles(project, "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(f))
            .Select(f => (File: Path.GetRelativePath(project, f), Lines: File.ReadAllLines(f).Length))
            .Where(f => f.Lines > MaxRuntimeFileLines)
            .Select(f => $"{f.File}: {f.Lines} lines")];

        Assert.Empty(tooLong);
    }

    private static bool IsBuildOutput(string path) =>
        path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
        || path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal);
}

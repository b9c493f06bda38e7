using System.Diagnostics;
using PlProxy.Client.TestSupport;

namespace PlProxy.Client.Tests.Architecture;

/// <summary>
/// What the packages' build logic does, run by MSBuild as a user's build or CI runs it: the runtime package's
/// compiler check (<c>buildTransitive/PlProxy.Client.targets</c>) and versions from git tags
/// (<c>eng/Versioning.targets</c>) in a throwaway git repository.
/// </summary>
public sealed class PackagingBuildTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("roslyn4.8")]
    [InlineData("roslyn4.13")]
    [InlineData("")]
    public async Task CompilerCheck_OfACompilerOlderThanTheGenerators_FailsTheBuildNamingTheSdk(string compiler)
    {
        string project = Project(compiler, $"""<Import Project="{Path.Combine(Repository.Root, "src", "PlProxy.Client", "buildTransitive", "PlProxy.Client.targets")}" />""");

        (int exitCode, string output) = await MsBuildAsync(Path.GetDirectoryName(project)!, project, "-t:CoreCompile");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("error PLPX9000", output, StringComparison.Ordinal);
        Assert.Contains("the .NET SDK 9.0.300 or newer", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("roslyn4.14")]
    [InlineData("roslyn5.9")]
    public async Task CompilerCheck_OfACompilerAsNewAsTheGenerators_Passes(string compiler)
    {
        string project = Project(compiler, $"""<Import Project="{Path.Combine(Repository.Root, "src", "PlProxy.Client", "buildTransitive", "PlProxy.Client.targets")}" />""");

        (int exitCode, string output) = await MsBuildAsync(Path.GetDirectoryName(project)!, project, "-t:CoreCompile");

        Assert.True(exitCode == 0, output);
        Assert.DoesNotContain("PLPX9000", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_FromTheGitHistory_FollowsTheTagsAsMinVerDoes()
    {
        string repository = Directory.CreateTempSubdirectory("plproxy-versioning-").FullName;
        await File.WriteAllTextAsync(Path.Combine(repository, "CHANGELOG.md"), "# Changelog\n\n## [Unreleased]\n- next\n\n## [1.2.3] - 2026-12-01\n- the first\n\n## [1.0.0]\n- old\n", Token);
        await GitAsync(repository, "init", "-q");
        await CommitAsync(repository, "one");
        await CommitAsync(repository, "two");
        Assert.Equal(("0.1.0-alpha.0.2", "## [Unreleased]\n- next"), await VersionAsync(repository));

        await GitAsync(repository, "tag", "v1.2.3");
        Assert.Equal(("1.2.3", "## [1.2.3] - 2026-12-01\n- the first"), await VersionAsync(repository));

        await CommitAsync(repository, "three");
        await CommitAsync(repository, "four");
        Assert.Equal(("1.2.4-alpha.0.2", "## [Unreleased]\n- next"), await VersionAsync(repository));

        await GitAsync(repository, "tag", "v2.0.0-rc.1");
        await CommitAsync(repository, "five");
        Assert.Equal(("2.0.0-rc.1.1", "## [Unreleased]\n- next"), await VersionAsync(repository));

        Assert.Equal("9.9.9", (await VersionAsync(repository, "-p:PackageVersion=9.9.9")).Version); // given on the command line: it wins
    }

    [Fact]
    public async Task Version_OutsideAGitCheckout_IsTheVersionPrefix()
    {
        string folder = Directory.CreateTempSubdirectory("plproxy-versioning-").FullName;

        Assert.Equal("0.1.0", (await VersionAsync(folder)).Version);
    }

    private static async Task<(string Version, string Notes)> VersionAsync(string repository, string? extra = null)
    {
        string project = Path.Combine(repository, "probe.proj");
        await File.WriteAllTextAsync(project, $"""
            <Project>
              <PropertyGroup>
                <RepoRoot>{repository}/</RepoRoot>
                <IsPackable>true</IsPackable>
                <VersionPrefix>0.1.0</VersionPrefix>
                <Version>$(VersionPrefix)</Version>
              </PropertyGroup>
              <Import Project="{Path.Combine(Repository.Root, "eng", "Versioning.props")}" />
              <PropertyGroup>
                <PackageVersion Condition="'$(PackageVersion)' == ''">$(Version)</PackageVersion>
              </PropertyGroup>
              <Import Project="{Path.Combine(Repository.Root, "eng", "Versioning.targets")}" />
              <Target Name="GetAssemblyVersion" />
              <Target Name="Show" DependsOnTargets="GetAssemblyVersion">
                <WriteLinesToFile File="version.txt" Lines="$(PackageVersion)" Overwrite="true" />
                <WriteLinesToFile File="notes.txt" Lines="$(PackageReleaseNotes)" Overwrite="true" />
              </Target>
            </Project>
            """, Token);
        (int exitCode, string output) = await MsBuildAsync(repository, project, "-t:Show", extra);
        Assert.True(exitCode == 0, output);
        return ((await File.ReadAllTextAsync(Path.Combine(repository, "version.txt"), Token)).Trim(),
            (await File.ReadAllTextAsync(Path.Combine(repository, "notes.txt"), Token)).Trim().ReplaceLineEndings("\n"));
    }

    private static string Project(string compiler, string import)
    {
        string folder = Directory.CreateTempSubdirectory("plproxy-compiler-check-").FullName;
        string project = Path.Combine(folder, "check.proj");
        File.WriteAllText(project, $"""
            <Project>
              <PropertyGroup>
                <Language>C#</Language>
                <CompilerApiVersion>{compiler}</CompilerApiVersion>
              </PropertyGroup>
              {import}
              <Target Name="CoreCompile" />
            </Project>
            """);
        return project;
    }

    private static async Task CommitAsync(string repository, string message)
    {
        await File.AppendAllTextAsync(Path.Combine(repository, "file.txt"), message + "\n", Token);
        await GitAsync(repository, "add", "file.txt");
        await GitAsync(repository, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", message);
    }

    private static async Task GitAsync(string repository, params string[] arguments)
    {
        (int exitCode, string output) = await RunAsync(repository, "git", arguments);
        Assert.True(exitCode == 0, $"git {string.Join(' ', arguments)}: {output}");
    }

    private static Task<(int ExitCode, string Output)> MsBuildAsync(string directory, string project, string target, string? extra = null) =>
        RunAsync(directory, "dotnet", ["msbuild", project, target, "-nologo", "-v:m", "-nodeReuse:false", .. extra is null ? Array.Empty<string>() : [extra]]);

    private static async Task<(int ExitCode, string Output)> RunAsync(string directory, string fileName, string[] arguments)
    {
        var start = new ProcessStartInfo(fileName) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["GIT_CEILING_DIRECTORIES"] = Path.GetDirectoryName(directory); // never a repository above the temporary one
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(Token), error = process.StandardError.ReadToEndAsync(Token);
        await process.WaitForExitAsync(Token).WaitAsync(TimeSpan.FromSeconds(120), Token);
        return (process.ExitCode, await output + await error);
    }
}

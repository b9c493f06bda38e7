using System.Diagnostics;
using System.Text.RegularExpressions;
using PlProxy.Client.Hashing;
using PlProxy.Client.TestSupport;

namespace PlProxy.Client.IntegrationTests;

/// <summary>
/// The README's first screen as a new user meets it: the runtime package packed into a local folder, a fresh console
/// project, the README's <c>dotnet add package</c> commands run as written, its first C# block saved as Program.cs as
/// written, its partition SQL run as written on four local partitions, and the program run.
/// </summary>
[Collection(UserDbFixture.Collection)]
public sealed partial class PackagedQuickStartTests(UserDbFixture fixture)
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(4);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ReadmeFirstScreen_BuildsFromThePackages_AndRunsAgainstLocalPartitions()
    {
        string root = Repository.Root;
        string readme = await File.ReadAllTextAsync(Path.Combine(root, "README.md"), Token);
        string[] install = [.. Block("sh").Match(readme).Groups["code"].Value.Split('\n').Where(l => l.StartsWith("dotnet add package ", StringComparison.Ordinal))];
        string program = Block("csharp").Match(readme).Groups["code"].Value;
        string schema = Block("sql").Match(readme).Groups["code"].Value;
        Assert.Contains("dotnet add package PlProxy.Client", install);

        string[] partitions = new string[4];
        for (int i = 0; i < 4; i++)
        {
            partitions[i] = await fixture.Server.CreateDatabaseAsync($"quickstart{i}", cancellationToken: Token);
            await fixture.Server.ExecuteAsync($"quickstart{i}", schema, Token);
            await fixture.Server.ExecuteAsync($"quickstart{i}", $"insert into users select 'user' || g, g from generate_series(1, {i + 1}) g;", Token);
        }

        await fixture.Server.ExecuteAsync($"quickstart{Partitions.IndexOf(PgHash.HashText("bob"), 4)}", "insert into users values ('bob', 150);", Token);

        string work = Directory.CreateTempSubdirectory("plproxy-quickstart-").FullName;
        try
        {
            string feed = Path.Combine(work, "feed");
            string app = Directory.CreateDirectory(Path.Combine(work, "app")).FullName;
            string version = $"0.1.0.{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}"; // never a version an earlier run left in a cache
            string configuration = AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
            await RunAsync(root, "dotnet", "pack", Path.Combine(root, "src", "PlProxy.Client", "PlProxy.Client.csproj"), "-c", configuration, "--no-build", "-nologo", "-o", feed, $"-p:PackageVersion={version}");

            // What `dotnet new console` writes, and a NuGet.config that adds the local feed; packages restore into the
            // work folder (the machine's cache serves as a fallback, so nothing is downloaded twice).
            string machineCache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            await File.WriteAllTextAsync(Path.Combine(app, "app.csproj"), """
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                  </PropertyGroup>
                </Project>
                """, Token);
            await File.WriteAllTextAsync(Path.Combine(app, "NuGet.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <config><add key="globalPackagesFolder" value="{Path.Combine(work, "packages")}" /></config>
                  <fallbackPackageFolders><add key="machine" value="{machineCache}" /></fallbackPackageFolders>
                  <packageSources><add key="local" value="{feed}" /></packageSources>
                </configuration>
                """, Token);
            foreach (string command in install)
            {
                await RunAsync(app, "dotnet", [.. command.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]]);
            }

            await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), program, Token);
            string output = await RunAsync(app, "dotnet", ["run", "--", .. partitions]);
            TestContext.Current.TestOutputHelper?.WriteLine(output);

            Assert.Contains($"<PackageReference Include=\"PlProxy.Client\" Version=\"{version}\" />", await File.ReadAllTextAsync(Path.Combine(app, "app.csproj"), Token));
            Assert.Contains("bob: 150", output, StringComparison.Ordinal);
            Assert.Equal(4, StatsLine().Matches(output).Count);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<string> RunAsync(string directory, string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(Token);
        Task<string> error = process.StandardError.ReadToEndAsync(Token);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(StepTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        string text = await output + await error;
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{text}");
        return text;
    }

    private static Regex Block(string language) => new($@"```{language}\n(?<code>.*?)```", RegexOptions.Singleline);

    [GeneratedRegex(@"^quickstart\d: \d+ users$", RegexOptions.Multiline)]
    private static partial Regex StatsLine();
}

using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Scaffold.Tests.Verbs;

/// <summary>
/// Connection strings given by name are read from a project's configuration: the current directory's, or the one
/// <c>--project</c> names (its directory, or its .csproj and that project's user secrets), as <c>dotnet ef</c> reads it.
/// </summary>
public sealed class NamedConnectionStringsTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ProjectOption_NamingAProjectFile_ReadsItsAppSettingsAndItsUserSecrets()
    {
        string project = Directory.CreateTempSubdirectory("plproxy-project-").FullName;
        string home = Directory.CreateTempSubdirectory("plproxy-home-").FullName;
        string id = Guid.NewGuid().ToString();
        await File.WriteAllTextAsync(Path.Combine(project, "Service.csproj"), $"<Project><PropertyGroup><UserSecretsId>{id}</UserSecretsId></PropertyGroup></Project>", Token);
        await File.WriteAllTextAsync(Path.Combine(project, "appsettings.json"), """{ "ConnectionStrings": { "Proxy": "Host=from-appsettings", "Other": "Host=other" } }""", Token);
        string secrets = Path.Combine(home, ".microsoft", "usersecrets", id);
        Directory.CreateDirectory(secrets);
        await File.WriteAllTextAsync(Path.Combine(secrets, "secrets.json"), """{ "ConnectionStrings:Proxy": "Host=from-secrets;Password=S3CR3T" }""", Token);
        string elsewhere = Directory.CreateTempSubdirectory("plproxy-cwd-").FullName;
        string[] args = ["status", "--project", Path.Combine(project, "Service.csproj"), "--proxy", "Name=Proxy", "--connection", "Name=Other"];

        (string directory, string? projectFile) = NamedConnectionStrings.ProjectOf(args, elsewhere);
        string[] resolved = NamedConnectionStrings.Resolve(args, directory, new Dictionary<string, string> { ["HOME"] = home }, projectFile);

        Assert.Equal((project, Path.Combine(project, "Service.csproj")), (directory, projectFile));
        Assert.Equal("Host=from-secrets;Password=S3CR3T", resolved[4]); // the project's user secrets win over its appsettings.json
        Assert.Equal("Host=other", resolved[6]);
    }

    [Fact]
    public void ProjectOption_NamingADirectoryRelativeToTheCurrentOne_ReadsThatDirectory()
    {
        string current = Directory.CreateTempSubdirectory("plproxy-cwd-").FullName;
        Directory.CreateDirectory(Path.Combine(current, "src", "Service"));

        Assert.Equal((Path.Combine(current, "src", "Service"), (string?)null), NamedConnectionStrings.ProjectOf(["status", "--project=src/Service"], current));
        Assert.Equal((current, (string?)null), NamedConnectionStrings.ProjectOf(["status", "--proxy", "Name=Proxy"], current));
    }

    [Fact]
    public async Task ProjectOption_ThatNamesNothingOrNotAProject_IsRefusedWithExitCodeOne()
    {
        (int exitCode, _, string error) = await Tool.RunAsync(["status", "--project", "/no/such/project.csproj", "--proxy", "Name=Proxy", "--cluster", "users"]);

        Assert.Equal(1, exitCode);
        Assert.Contains("--project /no/such/project.csproj: no such project file or directory", error, StringComparison.Ordinal);

        string settings = Path.Combine(Directory.CreateTempSubdirectory("plproxy-project-").FullName, "appsettings.json");
        await File.WriteAllTextAsync(settings, "{}", Token);
        (int notAProject, _, string notAProjectError) = await Tool.RunAsync(["status", "--project", settings, "--proxy", "Name=Proxy", "--cluster", "users"]);
        Assert.Equal(1, notAProject);
        Assert.Contains("not a project file (.csproj) nor a directory", notAProjectError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProjectOption_IsAcceptedByEveryVerb_AndTheNameIsReadFromThatProject()
    {
        string project = Directory.CreateTempSubdirectory("plproxy-project-").FullName;
        await File.WriteAllTextAsync(Path.Combine(project, "appsettings.json"), """{ "ConnectionStrings": { "Proxy": "Host=127.0.0.1;Port=1;Database=proxy;Timeout=2" } }""", Token);

        (int exitCode, _, string error) = await Tool.RunAsync(["status", "--project", project, "--proxy", "Name=Proxy", "--cluster", "users"]);

        // Parsed and looked up: the tool went to the server the project names (nothing listens on port 1) and says so.
        Assert.True(exitCode == 2, error);
        Assert.DoesNotContain("Name=Proxy: no connection string", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unrecognized", error, StringComparison.OrdinalIgnoreCase);
    }
}

using Npgsql;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Scaffold.Tests.Verbs;

/// <summary>
/// The databases the tool opens: as psql, without a command timeout (Npgsql's 30 s would fail a verify, a cleanup or
/// a copy check of a large table) and with keepalives, unless the connection string sets them; and every verb opens them so.
/// </summary>
public sealed class ToolDatabaseTests
{
    [Theory]
    [InlineData("Host=db;Database=users", 30)]
    [InlineData("Host=db;Database=users;Tcp Keepalive Time=5", 5)]
    [InlineData("host=db;database=users;TcpKeepAlive=false", 0)]
    public void Create_WithoutTcpKeepalivesInTheString_AsksAfter30SecondsOfSilence(string connectionString, int seconds)
    {
        NpgsqlConnectionStringBuilder settings = ToolDatabase.Configure(new NpgsqlConnectionStringBuilder(connectionString));

        Assert.Equal(seconds, settings.TcpKeepAliveTime);
        Assert.Equal(seconds != 0, settings.TcpKeepAlive || settings.TcpKeepAliveTime != 0);
    }

    [Theory]
    [InlineData("Host=db;Database=users", 0)]
    [InlineData("Host=db;Database=users;Command Timeout=7", 7)]
    [InlineData("Host=db;Database=users;CommandTimeout=7", 7)]
    [InlineData("host=db;database=users;command timeout=30", 30)]
    public async Task Create_WithoutACommandTimeoutInTheString_GivesCommandsNone(string connectionString, int seconds)
    {
        await using NpgsqlDataSource database = ToolDatabase.Create(connectionString);
        await using NpgsqlCommand command = database.CreateCommand("select 1");

        Assert.Equal(seconds, command.CommandTimeout);
    }

    [Fact]
    public void EveryDatabaseTheToolOpens_IsOpenedThroughToolDatabase()
    {
        string tool = Path.Combine(RepositoryRoot(), "src", "PlProxy.Client.Tool");
        string[] opening = [.. Directory.EnumerateFiles(tool, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && Path.GetFileName(f) != "ToolDatabase.cs")
            .Where(f => File.ReadAllText(f).Contains("NpgsqlDataSource.Create(", StringComparison.Ordinal))
            .Select(Path.GetFileName)!];

        Assert.Empty(opening);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PlProxy.Client.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (PlProxy.Client.sln) is not above the test's directory.");
    }
}

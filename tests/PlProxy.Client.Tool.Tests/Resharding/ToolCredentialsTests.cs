using System.Diagnostics;
using Resharding;

namespace PlProxy.Client.Scaffold.Tests.Resharding;

/// <summary>The tool takes the proxy database's password from PGPASSWORD or a passfile, as libpq's tools do, and never prints it.</summary>
[Collection(ReshardFixture.Collection)]
public sealed class ToolCredentialsTests(ReshardFixture fixture)
{
    private const string Password = "s3cret-Ö";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Status_WithThePasswordInPgPassword_ReadsTheProxyDatabase()
    {
        string proxy = await PasswordProtectedProxyAsync("pgpassword");

        (int exitCode, string output, string error) = await RunAsync(["status", "--proxy", proxy, "--cluster", "users"], ("PGPASSWORD", Password));

        Assert.True(exitCode == 0, error);
        Assert.Contains("cluster users: version 1", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_WithThePasswordInAPassfile_ReadsTheProxyDatabase()
    {
        string proxy = await PasswordProtectedProxyAsync("passfile");
        string passfile = Path.Combine(Directory.CreateTempSubdirectory("plproxy-pass").FullName, "pgpass");
        await File.WriteAllTextAsync(passfile, $"127.0.0.1:{fixture.Server.Port}:*:passfile:{Password}\n", Token);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(passfile, UnixFileMode.UserRead | UnixFileMode.UserWrite); // libpq and Npgsql ignore a passfile others can read
        }

        (int exitCode, string output, string error) = await RunAsync(["status", "--proxy", proxy, "--cluster", "users"], ("PGPASSFILE", passfile));

        Assert.True(exitCode == 0, error);
        Assert.Contains("cluster users: version 1", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_WithAWrongPassword_FailsWithoutPrintingIt()
    {
        string proxy = await PasswordProtectedProxyAsync("wrongpassword");

        (int exitCode, string output, string error) = await RunAsync(["status", "--proxy", proxy, "--cluster", "users"], ("PGPASSWORD", "not-" + Password));

        Assert.Equal(2, exitCode);
        Assert.Contains("password authentication failed", error, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, output + error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PGPASSWORD")]
    [InlineData("PGPASSFILE")]
    public async Task Split_OfPartitionsWhosePasswordTheEnvironmentGives_CopiesThem(string source)
    {
        // The partitions take their role only with its password, which their strings leave to the environment, as
        // libpq's tools allow. The tool's own connections and pg_dump found it there; a new database's subscription
        // connects from its server, which has neither the tool's environment nor its passfile.
        string role = $"split{source.ToLowerInvariant()}";
        DemoCluster cluster = await fixture.ClusterAsync(2, 2, Token);
        await fixture.Server.ExecuteAsync("postgres", $"set password_encryption = 'scram-sha-256'; create role {role} superuser login password '{Password}';", Token);
        string hba = Path.Combine(fixture.Server.DataDirectory, "pg_hba.conf");
        await File.WriteAllTextAsync(hba, $"host all {role} 127.0.0.1/32 scram-sha-256\n" + await File.ReadAllTextAsync(hba, Token), Token);
        await fixture.Server.ExecuteAsync("postgres", "select pg_reload_conf()", Token);
        await Task.Delay(200, Token);
        string AsRole(string libpq) => libpq.Replace($"user={Testing.LocalPostgresServer.Superuser}", $"user={role}", StringComparison.Ordinal);
        string database = new Npgsql.NpgsqlConnectionStringBuilder(cluster.Proxy).Database!;
        await fixture.Server.ExecuteAsync(database, $"update plproxy.cluster_map set connstr = replace(connstr, 'user={Testing.LocalPostgresServer.Superuser}', 'user={role}')", Token);
        await ReshardFixture.SeedAsync(cluster.Partitions, Enumerable.Range(0, 100).Select(i => $"user{i}"), Token);
        (string Name, string Value) environment = (source, Password);
        if (source == "PGPASSFILE")
        {
            string passfile = Path.Combine(Directory.CreateTempSubdirectory("plproxy-pass").FullName, "pgpass");
            await File.WriteAllTextAsync(passfile, $"127.0.0.1:{fixture.Server.Port}:*:{role}:{Password}\n", Token);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(passfile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            environment = (source, passfile);
        }

        (int exitCode, string output, string error) = await RunAsync(["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", .. cluster.Spares.Select(AsRole)], environment).WaitAsync(TimeSpan.FromSeconds(120), Token);

        Assert.True(exitCode == 0, output + error);
        string[] map = await ReshardFixture.MapAsync(cluster.Proxy, Token);
        Assert.Equal([.. cluster.Partitions.Select(AsRole), .. cluster.Spares.Select(AsRole)], map);
        Assert.Equal(100, (await ReshardFixture.RowsAsync([.. cluster.Partitions, .. cluster.Spares], Token)).Count);
        Assert.DoesNotContain(Password, output + error, StringComparison.Ordinal);
    }

    // A cluster whose proxy database only a role with a password may read (scram-sha-256 for that role).
    private async Task<string> PasswordProtectedProxyAsync(string role)
    {
        DemoCluster cluster = await fixture.ClusterAsync(2, 0, Token);
        await fixture.Server.ExecuteAsync("postgres", $"""
            set password_encryption = 'scram-sha-256';
            create role {role} login password '{Password}';
            """, Token);
        string database = new Npgsql.NpgsqlConnectionStringBuilder(cluster.Proxy).Database!;
        await fixture.Server.ExecuteAsync(database, $"grant usage on schema plproxy to {role}; grant select on plproxy.cluster_map to {role};", Token);
        string hba = Path.Combine(fixture.Server.DataDirectory, "pg_hba.conf");
        await File.WriteAllTextAsync(hba, $"host all {role} 127.0.0.1/32 scram-sha-256\n" + await File.ReadAllTextAsync(hba, Token), Token);
        await fixture.Server.ExecuteAsync("postgres", "select pg_reload_conf()", Token);
        await Task.Delay(200, Token);
        return $"host=127.0.0.1 port={fixture.Server.Port} dbname={database} user={role}";
    }

    // The tool as its own process, so that its environment is its own.
    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(string[] arguments, (string Name, string Value) environment)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "PlProxy.Client.Tool.dll"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment[environment.Name] = environment.Value;
        using Process tool = Process.Start(start)!;
        Task<string> output = tool.StandardOutput.ReadToEndAsync(Token);
        Task<string> error = tool.StandardError.ReadToEndAsync(Token);
        await tool.WaitForExitAsync(Token);
        return (tool.ExitCode, await output, await error);
    }
}

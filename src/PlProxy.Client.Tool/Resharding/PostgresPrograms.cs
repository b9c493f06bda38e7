using System.Diagnostics;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>
/// PostgreSQL's client programs (<c>pg_dump</c>, <c>psql</c>), found on PATH or in the usual install directories, run
/// with the connection in PG* environment variables (<see cref="LibpqSettings"/>) so that no password appears on a command line.
/// </summary>
internal static class PostgresPrograms
{
    /// <summary>The schema of a database (<c>pg_dump --schema-only</c>, without publications, subscriptions or owners).</summary>
    public static Task<string> DumpSchemaAsync(string connectionString, CancellationToken cancellationToken) =>
        RunAsync("pg_dump", ["--schema-only", "--no-publications", "--no-subscriptions", "--no-owner"], connectionString, null, cancellationToken);

    /// <summary>Runs a script with <c>psql</c> in one transaction, stopping at the first error (then nothing is applied).</summary>
    public static Task ExecuteScriptAsync(string connectionString, string script, CancellationToken cancellationToken) =>
        RunAsync("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", "-"], connectionString, script, cancellationToken);

    private static async Task<string> RunAsync(string program, string[] arguments, string connectionString, string? input, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Find(program))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        LibpqSettings.SetEnvironment(start, connectionString);
        using Process process = Process.Start(start) ?? throw new ToolRefusal($"{program} did not start.");
        Task<string> output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> error = process.StandardError.ReadToEndAsync(cancellationToken);
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input.AsMemory(), cancellationToken).ConfigureAwait(false);
            process.StandardInput.Close();
        }

        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        if (process.ExitCode != 0)
        {
            throw new ToolRefusal($"{program} on database {start.Environment["PGDATABASE"]} failed (exit code {process.ExitCode}): {(await error.ConfigureAwait(false)).Trim()}");
        }

        return await output.ConfigureAwait(false);
    }

    private static string Find(string program)
    {
        IEnumerable<string> path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        IEnumerable<string> installs = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").OrderDescending(StringComparer.Ordinal).Select(d => Path.Combine(d, "bin"))
            : [];
        return path.Concat(installs).Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists)
            ?? throw new ToolRefusal($"plproxy needs PostgreSQL's {program} (on PATH, or under /usr/lib/postgresql/<version>/bin) to copy a schema.");
    }
}

using System.CommandLine;
using System.CommandLine.Help;
using PlProxy.Client.Connections;
using PlProxy.Client.Tool.Commands;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool;

/// <summary>The <c>plproxy</c> command line: one verb per operation, with --help and --version.</summary>
internal static class ToolCommandLine
{
    // A command named plproxy (a RootCommand takes the name of the process's executable: PlProxy.Client.Tool, or a
    // test host) with the root's --help and --version.
    public static Command Create() =>
        new("plproxy", "plproxy: PL/Proxy clusters for PlProxy.Client — scaffold interfaces, install partconf, split and move partitions online, compare their copies, verify partitions, show their status.")
        {
            new HelpOption(),
            new VersionOption(),
            new Option<string>(NamedConnectionStrings.ProjectOption)
            {
                Description = "The project (its directory or .csproj) whose appsettings.json, user secrets and environment name the connection strings written Name=<name>; default: the current directory.",
                Recursive = true,
            },
            ScaffoldCommand.Create(),
            new Command("partconf", "partconf, the partition side of routing.") { PartconfInstallCommand.Create() },
            SplitCommand.Create(),
            MoveCommand.Create(),
            VerifyCommand.Create(),
            GrantCommand.Create(),
            StatusCommand.Create(),
            DiffCommand.Create(),
            PgQCommand.Create(),
        };

    /// <summary>
    /// Runs the command line as <c>plproxy</c> does, everything printed going through <see cref="ToolOutput"/>: the
    /// passwords of every argument that reads as a connection string, of <c>PGPASSWORD</c>, and the whole of an argument
    /// that mentions a password but cannot be read, are never printed — not even in a parse error that quotes it.
    /// </summary>
    /// <remarks>
    /// A connection string written <c>Name=&lt;name&gt;</c> is looked up in the configuration of the current directory (or
    /// of <c>--project</c>) first (<see cref="NamedConnectionStrings"/>), so its password is hidden like any other.
    /// </remarks>
    public static async Task<int> InvokeAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var shownError = new ToolOutput(error);
        var shownOutput = new ToolOutput(output) { Errors = shownError }; // what the output hides, the errors hide too
        shownOutput.Hide(Environment.GetEnvironmentVariable("PGPASSWORD"));
        try
        {
            (string directory, string? projectFile) = NamedConnectionStrings.ProjectOf(args, Environment.CurrentDirectory);
            args = NamedConnectionStrings.Resolve(args, directory, Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "", StringComparer.Ordinal), projectFile);
        }
        catch (ToolRefusal e)
        {
            await shownError.WriteLineAsync($"plproxy: {e.Message}").ConfigureAwait(false);
            return e.ExitCode;
        }

        foreach (string argument in args)
        {
            if (ConnectionStrings.Secrets(argument).Any() || argument.Contains("password", StringComparison.OrdinalIgnoreCase))
            {
                shownOutput.HideSecretsOf(argument); // the password as read (escapes undone)
                shownOutput.Hide(argument); // and the argument as written, readable or not, should a message quote it
            }
        }

        return await Create().Parse(args).InvokeAsync(new InvocationConfiguration { Output = shownOutput, Error = shownError }, cancellationToken).ConfigureAwait(false);
    }
}

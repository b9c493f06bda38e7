using System.CommandLine;
using Npgsql;
using PlProxy.Client.Clusters;

namespace PlProxy.Client.Tool.Verbs;

/// <summary>
/// How every verb of the tool runs: what it prints through <see cref="ToolOutput"/>, and one mapping of failures to the
/// documented exit codes — 0 done (or nothing to do), 1 bad input or a check that failed, 2 a database that could not
/// be used or refused.
/// </summary>
internal static class Verb
{
    // Runs a verb: its exit code; a refusal (ToolRefusal, the tool's one) with its own code; otherwise 1 with
    // "plproxy <verb>: <message>" for the runtime's bad input (a connection string or setting that cannot be read), 2
    // when a database cannot be read, refuses, or the cluster's definition is unusable. A server's error becomes a sentence (its message, hint and SQLSTATE; "not a PL/Proxy proxy database"
    // where the proxy database lacks PL/Proxy's functions), never its raw text with POSITION lines.
    // The output is the invocation's ToolOutput (passwords hidden); a password the verb reads from a database is hidden
    // in both its output and its errors once the verb calls HideSecretsOf on the output.
    public static async Task<int> RunAsync(ParseResult result, string verb, Func<ToolOutput, Task<int>> run)
    {
        ToolOutput output = result.InvocationConfiguration.Output as ToolOutput ?? new ToolOutput(result.InvocationConfiguration.Output);
        ToolOutput error = result.InvocationConfiguration.Error as ToolOutput ?? new ToolOutput(result.InvocationConfiguration.Error);
        output.Errors = error;
        try
        {
            return await run(output).ConfigureAwait(false);
        }
        catch (ToolRefusal e)
        {
            await error.WriteLineAsync($"plproxy {verb}: {e.Message}").ConfigureAwait(false);
            return e.ExitCode;
        }
        catch (ArgumentException e)
        {
            // The runtime's own bad input: a connection string or setting that cannot be read.
            await error.WriteLineAsync($"plproxy {verb}: {e.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (ClusterNotDefinedException e)
        {
            await error.WriteLineAsync($"plproxy {verb}: the --proxy database does not define the cluster ({e.Message}).").ConfigureAwait(false);
            return 2;
        }
        catch (Exception e) when (e is NpgsqlException or PlProxyException or InvalidOperationException or TimeoutException)
        {
            await error.WriteLineAsync($"plproxy {verb}: {Sentence(e)}").ConfigureAwait(false);
            return 2;
        }
    }

    // A server's error as a sentence: what it said, its hint, its SQLSTATE.
    public static string Sentence(Exception e) => e switch
    {
        PostgresException { SqlState: PostgresErrorCodes.InvalidSchemaName or PostgresErrorCodes.UndefinedFunction } p when p.MessageText.Contains("plproxy", StringComparison.Ordinal) =>
            $"the --proxy database is not a PL/Proxy proxy database (it has neither PL/Proxy's configuration functions nor a SQL/MED server for the cluster): {p.MessageText} (SQLSTATE {p.SqlState}).",
        PostgresException p => $"the server said: {p.MessageText}{(p.Hint is { Length: > 0 } hint ? $" ({hint})" : "")} (SQLSTATE {p.SqlState}).",
        _ => e.Message,
    };
}

using System.CommandLine;
using Npgsql;
using PlProxy.Client.Partconf;
using PlProxy.Client.Tool.Security;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Commands;

/// <summary>
/// <c>plproxy grant</c>: on every partition database of a cluster, an application role gets EXECUTE on exactly the
/// functions the proxy database publishes for the cluster, and nothing else.
/// </summary>
internal static class GrantCommand
{
    public static Command Create()
    {
        (Option<string> proxy, Option<string> cluster) = Verb.ClusterOptions();
        Option<string> role = RoleOption();
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the SQL, one transaction per partition database, and change nothing" };
        var grant = new Command("grant", "Gives a role EXECUTE on exactly the partition functions the proxy database's functions call for the cluster, and revokes the rest (tables, sequences, other functions, CREATE) from it and from PUBLIC; idempotent.")
        {
            proxy, cluster, role, dryRun,
        };
        grant.SetAction((result, cancellationToken) => Verb.RunAsync(result, "grant", async output =>
        {
            string name = result.GetValue(role)!;
            (List<PublishedFunction> published, List<string> skipped) = await PublishedFunctions.ReadAsync(result.GetValue(proxy)!, result.GetValue(cluster)!, cancellationToken).ConfigureAwait(false);
            foreach (string why in skipped)
            {
                await output.WriteLineAsync($"plproxy grant: not granted: {why}").ConfigureAwait(false);
            }

            // Every statement of every database first: a database that lacks a function changes nothing anywhere.
            var plans = new List<(string ConnectionString, string Shown, List<string> Statements)>();
            foreach (string connectionString in await PartitionDatabasesAsync(result.GetValue(proxy)!, result.GetValue(cluster)!, cancellationToken).ConfigureAwait(false))
            {
                await using NpgsqlDataSource database = NpgsqlDataSource.Create(connectionString);
                string shown = Shown(connectionString);
                plans.Add((connectionString, shown, await PartitionPrivileges.GrantStatementsAsync(database, name, published, shown, cancellationToken).ConfigureAwait(false)));
            }

            foreach ((string connectionString, string shown, List<string> statements) in plans)
            {
                if (result.GetValue(dryRun))
                {
                    await output.WriteLineAsync($"-- {shown}\nbegin;\n{string.Join('\n', statements)}\ncommit;").ConfigureAwait(false);
                    continue;
                }

                await using NpgsqlDataSource database = NpgsqlDataSource.Create(connectionString);
                await PartitionPrivileges.ApplyAsync(database, statements, cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync($"plproxy grant: {shown}: {name} may execute {published.Count} published function(s) and nothing else").ConfigureAwait(false);
            }

            return 0;
        }));
        return grant;
    }

    /// <summary>The <c>--role</c> option: the application's role on the partitions.</summary>
    public static Option<string> RoleOption(bool required = true) =>
        new("--role") { Description = "The application's role on the partition databases", Required = required };

    /// <summary>The cluster's distinct partition databases, as the proxy database defines them (Npgsql form).</summary>
    public static async Task<List<string>> PartitionDatabasesAsync(string proxy, string cluster, CancellationToken cancellationToken) =>
        [.. (await PartconfDatabase.DatabasesAsync(proxy, cluster, cancellationToken).ConfigureAwait(false)).Databases.Select(d => d.ConnectionString).Distinct(StringComparer.Ordinal)];

    /// <summary>A partition database as messages show it: host, port and database, never a password.</summary>
    public static string Shown(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{builder.Host}:{builder.Port}/{builder.Database}";
    }
}

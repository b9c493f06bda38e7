using System.CommandLine;
using Npgsql;
using PlProxy.Client.Connections;
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
        var scope = new SecurityScope();
        Option<string> role = RoleOption();
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the SQL, one transaction per partition database, and change nothing" };
        var grant = new Command("grant", "Gives a role EXECUTE on exactly the partition functions the cluster's calls run (the proxy database's functions, or the application's) and revokes the rest (tables, sequences, other functions, CREATE, and the default privileges that would give it or PUBLIC what is made later) from it and from PUBLIC; idempotent.")
        {
            role, dryRun,
        };
        scope.AddTo(grant);

        grant.SetAction((result, cancellationToken) => Verb.RunAsync(result, "grant", async output =>
        {
            string name = result.GetValue(role)!;
            (List<string> databases, List<PublishedFunction> published, List<string> skipped) = await scope.ReadAsync(result, cancellationToken).ConfigureAwait(false);
            foreach (string why in skipped)
            {
                await output.WriteLineAsync($"plproxy grant: not granted: {why}").ConfigureAwait(false);
            }

            // Each database itself when the map names a pooler whose statement mode refuses the grant's transaction.
            for (int i = 0; i < databases.Count; i++)
            {
                databases[i] = await DatabaseItself.ConnectionStringAsync(databases[i], DatabaseName.AddressOf(databases[i]), "grant", replication: false, output, cancellationToken).ConfigureAwait(false);
            }

            // Every statement of every database first: a database that lacks a function changes nothing anywhere.
            var plans = new List<(string ConnectionString, string Shown, List<string> Statements)>();
            foreach (string connectionString in databases)
            {
                await using NpgsqlDataSource database = ToolDatabase.Create(connectionString);
                string shown = DatabaseName.AddressOf(connectionString);
                (List<string> statements, List<string> notCovered) = await PartitionPrivileges.GrantStatementsAsync(database, name, published, shown, cancellationToken).ConfigureAwait(false);
                plans.Add((connectionString, shown, statements));
                foreach (string why in notCovered)
                {
                    await output.WriteLineAsync($"plproxy grant: not covered: {why}").ConfigureAwait(false);
                }
            }

            if (result.GetValue(dryRun))
            {
                foreach ((_, string shown, List<string> statements) in plans)
                {
                    await output.WriteLineAsync($"-- {shown}\nbegin;\n{string.Join('\n', statements)}\ncommit;").ConfigureAwait(false);
                }

                return 0;
            }

            // Every database's statements run in its own transaction, and the transactions commit only once all of them
            // ran: a database that refuses one (read-only, a missing right) changes nothing anywhere.
            var pending = new List<(string Shown, PendingGrant Grant)>();
            try
            {
                foreach ((string connectionString, string shown, List<string> statements) in plans)
                {
                    try
                    {
                        pending.Add((shown, await PendingGrant.RunAsync(connectionString, statements, cancellationToken).ConfigureAwait(false)));
                    }
                    catch (PostgresException e)
                    {
                        throw new ToolRefusal($"{shown} refused the grant: {e.MessageText} (SQLSTATE {e.SqlState}). Nothing was changed on any database.", e);
                    }
                }

                foreach ((string shown, PendingGrant pendingGrant) in pending)
                {
                    await pendingGrant.CommitAsync(cancellationToken).ConfigureAwait(false);
                    await output.WriteLineAsync($"plproxy grant: {shown}: {name} may execute {published.Count} published function(s) and nothing else").ConfigureAwait(false);
                }
            }
            finally
            {
                foreach ((_, PendingGrant pendingGrant) in pending)
                {
                    await pendingGrant.DisposeAsync().ConfigureAwait(false); // rolls back what did not commit
                }
            }

            return 0;
        }));
        return grant;
    }

    /// <summary>The <c>--role</c> option: the application's role on the partitions.</summary>
    public static Option<string> RoleOption(bool required = true) =>
        new("--role") { Description = "The application's role on the partition databases", Required = required };
}

using System.CommandLine;
using PlProxy.Client.Connections;
using PlProxy.Client.Partconf;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Commands;

/// <summary><c>plproxy verify</c>: each partition database against the published map; exit code 1 on any difference.</summary>
internal static class VerifyCommand
{
    /// <summary><c>plproxy verify --proxy "&lt;proxy db&gt;" --cluster &lt;name&gt;</c>: exit code 1 on any misplaced row.</summary>
    public static Command Create()
    {
        var scope = new Security.SecurityScope();
        Option<string> proxy = scope.Proxy;
        Option<string> cluster = scope.Cluster;
        Option<string> role = GrantCommand.RoleOption(required: false);
        role.Description = "Check instead what this role can do on each partition beyond the published functions (tables, sequences, other functions, SECURITY DEFINER functions without search_path, CREATE); each finding with its fix";
        var json = JsonReport.Option();
        var verify = new Command("verify", "Checks each partition database against the published map (its partconf, its partitioned tables, every row's partition); exit code 1 on any difference. With --role, what the role can do beyond the published functions.") { role, json };
        scope.AddTo(verify);

        verify.SetAction((result, cancellationToken) => Verb.RunAsync(result, "verify", async output =>
        {
            if (result.GetValue(role) is { } name)
            {
                return await VerifyRoleAsync(scope, result, name, result.GetValue(json), output, cancellationToken).ConfigureAwait(false);
            }

            if (result.GetValue(proxy) is null)
            {
                throw ToolRefusal.BadInput("--proxy is required (without --role, verify checks the map the proxy database publishes).");
            }

            PartconfVerification verification = await PartconfDatabase.VerifyClusterAsync(result.GetValue(proxy)!, result.GetValue(cluster)!, cancellationToken).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                await JsonReport.WriteAsync(output, w =>
                {
                    w.WriteStartObject();
                    w.WriteBoolean("passed", verification.Passed);
                    w.WriteNumber("misplaced", verification.Misplaced);
                    w.WriteStartArray("tables");
                    foreach (PartconfTableCount count in verification.Tables)
                    {
                        w.WriteStartObject();
                        w.WriteString("database", count.Database);
                        w.WriteStartArray("partitions");
                        foreach (int partition in count.Partitions)
                        {
                            w.WriteNumberValue(partition);
                        }

                        w.WriteEndArray();
                        w.WriteString("table", count.Table);
                        w.WriteNumber("rows", count.Rows);
                        w.WriteNumber("misplaced", count.Misplaced);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                    w.WriteStartArray("problems");
                    foreach (string problem in verification.Problems)
                    {
                        w.WriteStringValue(problem);
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                }).ConfigureAwait(false);
                return verification.Passed ? 0 : 1;
            }

            foreach (PartconfTableCount count in verification.Tables)
            {
                await output.WriteLineAsync($"{count.Database} (partitions {string.Join(", ", count.Partitions)})\t{count.Table}\t{count.Rows} rows\t{count.Misplaced} misplaced").ConfigureAwait(false);
            }

            foreach (string problem in verification.Problems)
            {
                await output.WriteLineAsync($"plproxy verify: {problem}").ConfigureAwait(false);
            }

            if (verification.Misplaced > 0)
            {
                await output.WriteLineAsync($"plproxy verify: {verification.Misplaced} rows are on a database the published map does not assign their key to.").ConfigureAwait(false);
            }

            if (verification.Passed)
            {
                await output.WriteLineAsync($"plproxy verify: every row of {verification.Tables.Count} partitioned tables is on its partition, as the published map assigns it.").ConfigureAwait(false);
            }

            return verification.Passed ? 0 : 1;
        }));
        return verify;
    }

    // What the role can do beyond the published functions, database by database; exit code 1 on any finding.
    private static async Task<int> VerifyRoleAsync(Security.SecurityScope scope, ParseResult result, string role, bool json, TextWriter output, CancellationToken cancellationToken)
    {
        (List<string> databases, List<Security.PublishedFunction> published, _) = await scope.ReadAsync(result, cancellationToken).ConfigureAwait(false);
        var found = new List<(string Database, string Finding, string Fix)>();
        foreach (string connectionString in databases)
        {
            await using Npgsql.NpgsqlDataSource database = ToolDatabase.Create(connectionString);
            string shown = DatabaseName.AddressOf(connectionString);
            foreach ((string finding, string fix) in await Security.PartitionPrivileges.FindingsAsync(database, role, published, shown, cancellationToken).ConfigureAwait(false))
            {
                found.Add((shown, finding, fix));
            }
        }

        int findings = found.Count;
        if (json)
        {
            await JsonReport.WriteAsync(output, w =>
            {
                w.WriteStartObject();
                w.WriteString("role", role);
                w.WriteBoolean("passed", findings == 0);
                w.WriteNumber("databases", databases.Count);
                w.WriteNumber("publishedFunctions", published.Count);
                w.WriteStartArray("findings");
                foreach ((string database, string finding, string fix) in found)
                {
                    w.WriteStartObject();
                    w.WriteString("database", database);
                    w.WriteString("finding", finding);
                    w.WriteString("fix", fix);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }).ConfigureAwait(false);
            return findings == 0 ? 0 : 1;
        }

        foreach ((_, string finding, string fix) in found)
        {
            await output.WriteLineAsync($"plproxy verify: {finding}\n    fix: {fix}").ConfigureAwait(false);
        }

        await output.WriteLineAsync(findings == 0
            ? $"plproxy verify: on {databases.Count} partition databases {role} can execute the {published.Count} published function(s) and nothing else."
            : $"plproxy verify: {findings} finding(s): {role} can do more than execute the published functions.").ConfigureAwait(false);
        return findings == 0 ? 0 : 1;
    }
}

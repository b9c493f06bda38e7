using System.CommandLine;
using Npgsql;
using PlProxy.Client.Partconf;

namespace PlProxy.Client.Tool.Partconf;

/// <summary><c>plproxy partconf install</c>, <c>plproxy verify</c> and <c>plproxy status</c>: partconf on a cluster's partition databases.</summary>
internal static class PartconfCommands
{
    /// <summary><c>plproxy partconf install --proxy "&lt;proxy db&gt;" --cluster &lt;name&gt;</c>.</summary>
    public static Command Partconf()
    {
        (Option<string> proxy, Option<string> cluster) = ClusterOptions();
        var install = new Command("install", "Installs or updates partconf on every partition database of the cluster, as the proxy database defines it.") { proxy, cluster };
        install.SetAction(async (result, cancellationToken) =>
        {
            TextWriter output = result.InvocationConfiguration.Output;
            try
            {
                IReadOnlyList<PartconfSettings> installed = await PartconfDatabase.InstallClusterAsync(result.GetValue(proxy)!, result.GetValue(cluster)!, cancellationToken).ConfigureAwait(false);
                foreach (PartconfSettings settings in installed)
                {
                    await output.WriteLineAsync($"plproxy partconf install: cluster {settings.Cluster}, database {settings.DbCode}: partitions {string.Join(", ", settings.Partitions)} of {settings.PartitionCount}").ConfigureAwait(false);
                }

                return 0;
            }
            catch (Exception e) when (e is NpgsqlException or PlProxyException or ArgumentException)
            {
                await result.InvocationConfiguration.Error.WriteLineAsync($"plproxy partconf install: {e.Message}").ConfigureAwait(false);
                return 2;
            }
        });
        return new Command("partconf", "partconf, the partition side of routing.") { install };
    }

    /// <summary><c>plproxy verify --proxy "&lt;proxy db&gt;" --cluster &lt;name&gt;</c>: exit code 1 on any misplaced row.</summary>
    public static Command Verify()
    {
        (Option<string> proxy, Option<string> cluster) = ClusterOptions();
        var verify = new Command("verify", "Checks that every row of every partitioned table is on the partition its key maps to; exit code 1 if any is not.") { proxy, cluster };
        verify.SetAction(async (result, cancellationToken) =>
        {
            TextWriter output = result.InvocationConfiguration.Output;
            IReadOnlyList<PartconfTableCount> counts;
            try
            {
                counts = await PartconfDatabase.VerifyClusterAsync(result.GetValue(proxy)!, result.GetValue(cluster)!, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or PlProxyException or ArgumentException)
            {
                await result.InvocationConfiguration.Error.WriteLineAsync($"plproxy verify: {e.Message}").ConfigureAwait(false);
                return 2;
            }

            foreach (PartconfTableCount count in counts)
            {
                await output.WriteLineAsync($"{count.Database} (partitions {string.Join(", ", count.Partitions)})\t{count.Table}\t{count.Rows} rows\t{count.Misplaced} misplaced").ConfigureAwait(false);
            }

            long misplaced = counts.Sum(c => c.Misplaced);
            await output.WriteLineAsync(misplaced == 0
                ? $"plproxy verify: every row of {counts.Count} partitioned tables is on its partition."
                : $"plproxy verify: {misplaced} rows are on a partition their key does not map to.").ConfigureAwait(false);
            return misplaced == 0 ? 0 : 1;
        });
        return verify;
    }

    /// <summary>
    /// <c>plproxy status --proxy "&lt;proxy db&gt;" --cluster &lt;name&gt;</c>: the cluster's version in the proxy database and,
    /// per partition database, what the proxy database says it serves next to what its partconf says.
    /// </summary>
    public static Command Status()
    {
        (Option<string> proxy, Option<string> cluster) = ClusterOptions();
        var status = new Command("status", "Shows the cluster's version and each partition database's partconf.") { proxy, cluster };
        status.SetAction(async (result, cancellationToken) =>
        {
            TextWriter output = result.InvocationConfiguration.Output;
            string proxyDatabase = result.GetValue(proxy)!, name = result.GetValue(cluster)!;
            try
            {
                await using (NpgsqlDataSource proxySource = NpgsqlDataSource.Create(Connections.ConnectionStrings.ToNpgsql(proxyDatabase)))
                {
                    await output.WriteLineAsync($"cluster {name}: version {await Clusters.ProxyDatabaseReader.VersionAsync(proxySource, name, cancellationToken).ConfigureAwait(false)}").ConfigureAwait(false);
                }

                foreach ((string connectionString, PartconfSettings expected) in await PartconfDatabase.DatabasesAsync(proxyDatabase, name, cancellationToken).ConfigureAwait(false))
                {
                    await output.WriteLineAsync($"{new NpgsqlConnectionStringBuilder(connectionString).Database} (partitions {string.Join(", ", expected.Partitions)} of {expected.PartitionCount}): {await PartconfOfAsync(connectionString, cancellationToken).ConfigureAwait(false)}").ConfigureAwait(false);
                }

                return 0;
            }
            catch (Exception e) when (e is NpgsqlException or PlProxyException or ArgumentException)
            {
                await result.InvocationConfiguration.Error.WriteLineAsync($"plproxy status: {e.Message}").ConfigureAwait(false);
                return 2;
            }
        });
        return status;
    }

    // One database's partconf as it describes itself, or why there is none to read.
    private static async Task<string> PartconfOfAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using NpgsqlDataSource database = NpgsqlDataSource.Create(connectionString);
        await using NpgsqlCommand command = database.CreateCommand("""
            select format('partconf %s, partitions %s of %s, %s, %s hash, db_code %s, fenced {%s}, configuration version %s',
                          partconf.script_version(), array_to_string(part_nrs, ', '), part_count, mapping, hash_flavor, db_code,
                          array_to_string(fenced_nrs, ', '), version)
            from partconf.conf
            """);
        try
        {
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string ?? "partconf installed but not configured";
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedFunction or PostgresErrorCodes.InvalidSchemaName)
        {
            return "no partconf (plproxy partconf install)";
        }
    }

    private static (Option<string> Proxy, Option<string> Cluster) ClusterOptions() =>
        (new Option<string>("--proxy") { Description = "The proxy database that defines the cluster (Npgsql or libpq form)", Required = true },
         new Option<string>("--cluster") { Description = "The cluster's name", Required = true });
}

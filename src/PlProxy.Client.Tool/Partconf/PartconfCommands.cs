using System.CommandLine;
using Npgsql;
using PlProxy.Client.Partconf;

namespace PlProxy.Client.Tool.Partconf;

/// <summary><c>plproxy partconf install</c> and <c>plproxy verify</c>: partconf on a cluster's partition databases.</summary>
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

    private static (Option<string> Proxy, Option<string> Cluster) ClusterOptions() =>
        (new Option<string>("--proxy") { Description = "The proxy database that defines the cluster (Npgsql or libpq form)", Required = true },
         new Option<string>("--cluster") { Description = "The cluster's name", Required = true });
}

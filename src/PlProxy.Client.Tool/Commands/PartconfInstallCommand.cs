using System.CommandLine;
using Npgsql;
using PlProxy.Client.Connections;
using PlProxy.Client.Partconf;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Commands;

/// <summary><c>plproxy partconf install</c>: partconf on every partition database of a cluster.</summary>
internal static class PartconfInstallCommand
{
    /// <summary><c>plproxy partconf install --proxy "&lt;proxy db&gt;" --cluster &lt;name&gt;</c>.</summary>
    public static Command Create()
    {
        var options = new ClusterOptions();
        Option<string> proxy = options.Proxy, cluster = options.Cluster;
        var install = new Command("install", "Installs or updates partconf on every partition database of the cluster, as the proxy database defines it.") ;
        options.AddTo(install);
        install.SetAction((result, cancellationToken) => Verb.RunAsync(result, "partconf install", async output =>
        {
            // As PartconfDatabase.InstallClusterAsync does, but each database reached itself when the map names a pooler in
            // front of it whose statement mode refuses the install's transaction (DatabaseItself), every one checked first.
            List<(string ConnectionString, PartconfSettings Settings)> databases = await PartconfDatabase.WithKeptDbCodesAsync(
                await PartconfDatabase.DatabasesAsync(result.GetValue(proxy)!, result.GetValue(cluster)!, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            for (int i = 0; i < databases.Count; i++)
            {
                string given = databases[i].ConnectionString;
                databases[i] = (await DatabaseItself.ConnectionStringAsync(given, DatabaseName.AddressOf(given), "partconf install", replication: false, output, cancellationToken).ConfigureAwait(false), databases[i].Settings);
            }

            foreach ((string connectionString, PartconfSettings settings) in databases)
            {
                await using NpgsqlDataSource database = ToolDatabase.Create(connectionString);
                await PartconfDatabase.InstallAsync(database, settings, cancellationToken).ConfigureAwait(false);
            }

            foreach ((_, PartconfSettings settings) in databases)
            {
                await output.WriteLineAsync($"plproxy partconf install: cluster {settings.Cluster}, database {settings.DbCode}: partitions {string.Join(", ", settings.Partitions)} of {settings.PartitionCount}").ConfigureAwait(false);
            }

            return 0;
        }));
        return install;
    }
}

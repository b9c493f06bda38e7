using System.CommandLine;
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
            IReadOnlyList<PartconfSettings> installed = await PartconfDatabase.InstallClusterAsync(result.GetValue(proxy)!, result.GetValue(cluster)!, cancellationToken).ConfigureAwait(false);
            foreach (PartconfSettings settings in installed)
            {
                await output.WriteLineAsync($"plproxy partconf install: cluster {settings.Cluster}, database {settings.DbCode}: partitions {string.Join(", ", settings.Partitions)} of {settings.PartitionCount}").ConfigureAwait(false);
            }

            return 0;
        }));
        return install;
    }
}

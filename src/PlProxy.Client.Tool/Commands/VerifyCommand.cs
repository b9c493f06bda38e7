using System.CommandLine;
using PlProxy.Client.Partconf;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Commands;

/// <summary><c>plproxy verify</c>: each partition database against the published map; exit code 1 on any difference.</summary>
internal static class VerifyCommand
{
    /// <summary><c>plproxy verify --proxy "&lt;proxy db&gt;" --cluster &lt;name&gt;</c>: exit code 1 on any misplaced row.</summary>
    public static Command Create()
    {
        (Option<string> proxy, Option<string> cluster) = Verb.ClusterOptions();
        var verify = new Command("verify", "Checks each partition database against the published map (its partconf, its partitioned tables, every row's partition); exit code 1 on any difference.") { proxy, cluster };
        verify.SetAction((result, cancellationToken) => Verb.RunAsync(result, "verify", async output =>
        {
            PartconfVerification verification = await PartconfDatabase.VerifyClusterAsync(result.GetValue(proxy)!, result.GetValue(cluster)!, cancellationToken).ConfigureAwait(false);
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
}

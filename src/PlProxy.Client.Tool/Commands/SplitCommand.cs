using System.CommandLine;
using PlProxy.Client.Partconf;
using PlProxy.Client.Tool.Resharding;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Commands;

/// <summary><c>plproxy split --proxy "&lt;proxy db&gt;" --cluster &lt;name&gt; --to "&lt;new db n&gt;" ... "&lt;new db 2n-1&gt;"</c>: doubles the partition count online.</summary>
internal static class SplitCommand
{
    /// <summary><c>plproxy split --proxy "&lt;proxy db&gt;" --cluster &lt;name&gt; --to "&lt;new db n&gt;" ... "&lt;new db 2n-1&gt;"</c>.</summary>
    public static Command Create()
    {
        var to = new Option<string[]>("--to") { Description = "The new, empty databases, one per partition: partition p's keys that map to p + n go to the p-th", AllowMultipleArgumentsPerToken = true };
        ReshardOptions options = new();
        var split = new Command("split", "Doubles the partition count: copies each partition's upper half of keys into a new database with logical replication, fences them for the switch, publishes the new map and deletes what moved.")
        {
            to,
        };
        options.AddTo(split);
        split.SetAction((result, cancellationToken) => Verb.RunAsync(result, "split", output =>
        {
            string[] given = result.GetValue(to) ?? [];
            // Finished already: the map's upper half is the given databases.
            bool Done(PartconfCluster definition, IReadOnlyList<string> map) => given.Length > 0 && map.Count == 2 * given.Length
                && given.Select((database, p) => ReshardPlan.SameDatabase(definition, database, map[given.Length + p])).All(same => same);
            string? missing = given.Length == 0 ? "Give the new, empty databases (--to), one per partition; only a split in progress resumes without them." : null;
            return ReshardVerb.RunAsync(ReshardKind.Split, result, options, output, cancellationToken, missing, Done, (definition, operation, oldMap, codes) =>
                ReshardPlan.Split(definition, oldMap, given.Length == 0 && operation is not null ? operation.NewMap[oldMap.Length..] : given, codes));
        }));
        return split;
    }
}

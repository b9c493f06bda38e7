using System.CommandLine;
using PlProxy.Client.Partconf;
using PlProxy.Client.Tool.Resharding;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Commands;

/// <summary><c>plproxy move --proxy "&lt;proxy db&gt;" --cluster &lt;name&gt; --partition &lt;k&gt; --to "&lt;new db&gt;"</c>: moves one partition online.</summary>
internal static class MoveCommand
{
    /// <summary><c>plproxy move --proxy "&lt;proxy db&gt;" --cluster &lt;name&gt; --partition &lt;k&gt; --to "&lt;new db&gt;"</c>.</summary>
    public static Command Create()
    {
        var partition = new Option<int>("--partition") { Description = "The partition that moves", Required = true };
        var to = new Option<string>("--to") { Description = "Its new, empty database" };
        ReshardOptions options = new();
        var move = new Command("move", "Moves one partition to another database: copies it with logical replication, fences its keys for the switch, publishes the new map and deletes what moved.")
        {
            partition, to,
        };
        options.AddTo(move);
        move.SetAction((result, cancellationToken) => Verb.RunAsync(result, "move", output =>
        {
            int k = result.GetValue(partition);
            bool Done(PartconfCluster definition, IReadOnlyList<string> map) =>
                result.GetValue(to) is { } database && k >= 0 && k < map.Count && ReshardPlan.SameDatabase(definition, database, map[k]);
            string? missing = result.GetValue(to) is null ? "Give the partition's new, empty database (--to); only a move in progress resumes without it." : null;
            return ReshardVerb.RunAsync(ReshardKind.Move, result, options, output, cancellationToken, missing, Done, (definition, operation, oldMap, codes) =>
                ReshardPlan.Move(definition, oldMap, k, result.GetValue(to) ?? (operation is not null && k >= 0 && k < operation.NewMap.Length ? operation.NewMap[k] : throw ToolRefusal.BadInput("Give the partition's new database (--to).")), codes));
        }));
        return move;
    }
}

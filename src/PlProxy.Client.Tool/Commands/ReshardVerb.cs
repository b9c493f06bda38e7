using System.CommandLine;
using Npgsql;
using PlProxy.Client.Connections;
using PlProxy.Client.Partconf;
using PlProxy.Client.Tool.Resharding;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Commands;

/// <summary>What split and move share: their options, the lock, the record, the plan, then the resharder's steps.</summary>
internal static class ReshardVerb
{
    public static async Task<int> RunAsync(
        ReshardKind kind, ParseResult result, ReshardOptions options, ToolOutput output, CancellationToken cancellationToken,
        string? targets, Func<PartconfCluster, IReadOnlyList<string>, bool> done, Func<PartconfCluster, ReshardOperation?, string[], IReadOnlyList<int>, ReshardPlan> planned)
    {
        string cluster = result.GetValue(options.Cluster)!;
        PartconfCluster definition;
        ProxyMap map;
        string store; // where the operation is recorded
        if (result.GetValue(options.Proxy) is { } given)
        {
            store = ConnectionStrings.ToNpgsql(given);
            definition = await PartconfDatabase.DatabasesAsync(store, cluster, cancellationToken).ConfigureAwait(false);
            map = await ProxyMap.ReadAsync(store, cluster, definition.Definition.Options.Partitions, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            (Clusters.ProxyClusterDefinition configured, System.Text.Json.Nodes.JsonObject json) = ConfiguredCluster.Read(result.GetValue(options.Config)!, cluster);
            definition = PartconfDatabase.Cluster(cluster, configured);
            map = ProxyMap.ForConfiguration(cluster, configured.Options.Partitions, json, result.GetValue(options.ConfigOut)!);
            store = definition.Databases[0].ConnectionString;
        }

        output.HideSecretsOf(definition);
        string verb = kind == ReshardKind.Split ? "split" : "move";
        await using OperationLock held = await OperationLock.TakeAsync(store, cluster, verb, cancellationToken).ConfigureAwait(false);
        ReshardOperation? operation = await ReshardOperation.ReadAsync(store, cluster, cancellationToken).ConfigureAwait(false);
        foreach (string partition in operation?.NewMap ?? [])
        {
            output.HideSecretsOf(definition.ConnectionStringOf(partition));
        }

        if (operation is not null && operation.Kind != kind)
        {
            throw new ToolRefusal($"A {(operation.Kind == ReshardKind.Split ? "split" : "move")} of cluster {cluster} is in progress: run it again to finish it, or with --abort to undo it, before a {verb}.");
        }

        bool abort = result.GetValue(options.Abort);
        if (abort && operation is null)
        {
            await output.WriteLineAsync($"plproxy {verb}: no {verb} of cluster {cluster} is in progress; nothing to undo.").ConfigureAwait(false);
            return 0;
        }

        if (operation is null && !abort && targets is not null)
        {
            throw ToolRefusal.BadInput(targets); // before any partition database is touched
        }

        if (operation is null && !abort && done(definition, map.Partitions))
        {
            await output.WriteLineAsync($"plproxy {verb}: nothing to do: cluster {cluster} already has this map").ConfigureAwait(false);
            return 0;
        }

        string[] oldMap = operation?.OldMap ?? [.. map.Partitions];
        ReshardPlan plan = planned(definition, operation, oldMap, await DbCodesAsync(definition, oldMap, cancellationToken).ConfigureAwait(false));
        if (operation is not null && !operation.NewMap.SequenceEqual(plan.NewMap, StringComparer.Ordinal))
        {
            throw new ToolRefusal($"A {verb} of cluster {cluster} to a different map is in progress (new partitions: {string.Join(", ", operation.NewMap.Except(operation.OldMap).Select(ConnectionStrings.Shown))}): run it again with its own arguments, or --abort it.");
        }

        bool switched = operation?.Switched ?? false;
        if (!switched && !map.Partitions.SequenceEqual(plan.OldMap, StringComparer.Ordinal) && !map.Partitions.SequenceEqual(plan.NewMap, StringComparer.Ordinal))
        {
            throw new ToolRefusal($"The map of cluster {cluster} is neither the one the {verb} started from nor the one it leads to; someone changed it meanwhile. Nothing was changed.");
        }

        var settings = new ReshardSettings(
            result.GetValue(options.OtherTablesOption) switch { "copy" => OtherTables.Copy, "leave" => OtherTables.Leave, _ => OtherTables.Refuse },
            TimeSpan.FromSeconds(result.GetValue(options.FenceTimeout)),
            TimeSpan.FromSeconds(result.GetValue(options.CatchUpTimeout)),
            result.GetValue(options.BatchSize),
            result.GetValue(options.StopBeforeSwitch),
            result.GetValue(options.ParallelCopies),
            result.GetValue(options.MaxPendingKeys),
            TimeSpan.FromSeconds(result.GetValue(options.ReadKeysEvery)));
        plan = await DirectConnections.ResolveAsync(plan, output, cancellationToken).ConfigureAwait(false); // past any pooler in front
        await using var resharder = new Resharder(plan, map, switched, store, settings, output);
        if (abort)
        {
            await resharder.AbortAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await resharder.RunAsync(cancellationToken).ConfigureAwait(false);
        }

        return 0;
    }

    // The db_code of each distinct database of a partition list, from its partconf.
    internal static async Task<IReadOnlyList<int>> DbCodesAsync(PartconfCluster cluster, string[] map, CancellationToken cancellationToken)
    {
        var codes = new List<int>();
        foreach ((string connectionString, _) in ReshardPlan.Databases(cluster, map))
        {
            await using NpgsqlDataSource database = ToolDatabase.Create(connectionString);
            string name = ReshardPlan.DatabaseName(connectionString);
            int? code;
            try
            {
                code = await PartconfDatabase.DbCodeAsync(database, cancellationToken).ConfigureAwait(false);
            }
            catch (NpgsqlException e)
            {
                throw new ToolRefusal($"{name} cannot be reached ({e.Message}); nothing was changed.", e);
            }

            codes.Add(code ?? throw new ToolRefusal($"{name} has no partconf configuration: run plproxy partconf install --proxy ... --cluster {cluster.Name} first. Nothing was changed."));
        }

        return codes;
    }
}

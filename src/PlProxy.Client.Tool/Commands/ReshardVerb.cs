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
            result.GetValue(options.BatchSize));
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
    private static async Task<IReadOnlyList<int>> DbCodesAsync(PartconfCluster cluster, string[] map, CancellationToken cancellationToken)
    {
        var codes = new List<int>();
        foreach ((string connectionString, _) in ReshardPlan.Databases(cluster, map))
        {
            await using NpgsqlDataSource database = NpgsqlDataSource.Create(connectionString);
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

    /// <summary>The options split and move share.</summary>
    public sealed class ReshardOptions
    {
        public Option<string> Proxy { get; } = new("--proxy") { Description = "The proxy database that defines the cluster (Npgsql or libpq form)" };

        public Option<string> Cluster { get; } = new("--cluster") { Description = "The cluster's name", Required = true };

        public Option<string> Config { get; } = new("--config") { Description = "Instead of --proxy: the application's appsettings.json that configures the cluster (PlProxy:Clusters:<name>)" };

        public Option<string> ConfigOut { get; } = new("--config-out") { Description = "With --config: where the switch writes the cluster's new appsettings fragment" };

        public Option<bool> Abort { get; } = new("--abort") { Description = "Undo a split or move that has not switched yet: sources serve as before, the new databases are emptied" };

        public Option<string> OtherTablesOption { get; } = CreateOtherTables();

        public Option<double> FenceTimeout { get; } = new("--fence-timeout") { Description = "Seconds the fence may hold the moving keys; it expires by itself if the tool dies", DefaultValueFactory = _ => 10 };

        public Option<double> CatchUpTimeout { get; } = new("--catch-up-timeout") { Description = "Seconds the new databases may take to catch up after the copy", DefaultValueFactory = _ => 300 };

        public Option<int> BatchSize { get; } = new("--batch-size") { Description = "Rows deleted per statement when the moved rows are removed", DefaultValueFactory = _ => 5000 };

        public void AddTo(Command command)
        {
            command.Options.Insert(0, Proxy);
            command.Options.Insert(1, Cluster);
            command.Options.Add(Config);
            command.Options.Add(ConfigOut);
            command.Options.Add(OtherTablesOption);
            command.Validators.Add(result =>
            {
                bool proxy = result.GetResult(Proxy) is not null, config = result.GetResult(Config) is not null, configOut = result.GetResult(ConfigOut) is not null;
                if (proxy == config)
                {
                    result.AddError("Give the cluster's definition: --proxy (a proxy database) or --config (an appsettings.json), one of them.");
                }
                else if (config != configOut)
                {
                    result.AddError(config ? "--config needs --config-out: where to write the cluster's new appsettings fragment." : "--config-out goes with --config (a proxy database is switched in place).");
                }
            });
            command.Options.Add(Abort);
            command.Options.Add(FenceTimeout);
            command.Options.Add(CatchUpTimeout);
            command.Options.Add(BatchSize);
            Positive(FenceTimeout, 3600);
            Positive(CatchUpTimeout, double.MaxValue);
            BatchSize.Validators.Add(result =>
            {
                if (result.GetValueOrDefault<int>() <= 0)
                {
                    result.AddError("--batch-size must be positive.");
                }
            });
        }

        private static void Positive(Option<double> option, double max) => option.Validators.Add(result =>
        {
            double seconds = result.GetValueOrDefault<double>();
            if (seconds <= 0 || seconds > max)
            {
                result.AddError($"{option.Name} must be a positive number of seconds{(max < double.MaxValue ? $", at most {max}" : "")}.");
            }
        });

        private static Option<string> CreateOtherTables()
        {
            var option = new Option<string>("--other-tables") { Description = "Tables without a partconf trigger: 'copy' (whole, to every new database) or 'leave' (where they are)" };
            option.AcceptOnlyFromAmong("copy", "leave");
            return option;
        }
    }
}

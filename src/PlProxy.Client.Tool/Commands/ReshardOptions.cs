using System.CommandLine;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Commands;

/// <summary>The options split and move share: the cluster's definition, then how the copy, fence and cleanup run.</summary>
internal sealed class ReshardOptions() : ClusterOptions(
    proxyDescription: "The proxy database that defines the cluster (Npgsql or libpq form)",
    configDescription: "Instead of --proxy: the application's appsettings.json that configures the cluster (PlProxy:Clusters:<name>)")
{
    public Option<string> ConfigOut { get; } = new("--config-out") { Description = "With --config: where the switch writes the cluster's new appsettings fragment" };

    public Option<bool> Abort { get; } = new("--abort") { Description = "Undo a split or move that has not switched yet: sources serve as before, the new databases are emptied" };

    public Option<string> OtherTablesOption { get; } = CreateOtherTables();

    public Option<double> FenceTimeout { get; } = new("--fence-timeout") { Description = "Seconds the fence may hold the moving keys; it expires by itself if the tool dies", DefaultValueFactory = _ => Resharding.ReshardSettings.Default.FenceLifetime.TotalSeconds };

    public Option<double> CatchUpTimeout { get; } = new("--catch-up-timeout") { Description = "Seconds the new databases may take to catch up after the copy", DefaultValueFactory = _ => Resharding.ReshardSettings.Default.CatchUpTimeout.TotalSeconds };

    public Option<int> BatchSize { get; } = new("--batch-size") { Description = "Rows deleted per statement when the moved rows are removed", DefaultValueFactory = _ => Resharding.ReshardSettings.Default.BatchSize };

    public Option<int> ParallelCopies { get; } = new("--parallel-copies") { Description = "Initial copies running at once per source server (each reads its source's tables whole); the others wait their turn", DefaultValueFactory = _ => Resharding.ReshardSettings.Default.ParallelCopies };

    public Option<int> MaxPendingKeys { get; } = new("--max-pending-keys") { Description = "Keys written during the copies' comparison held in memory (a few hundred bytes each) before they are compared at once rather than after it", DefaultValueFactory = _ => Resharding.ReshardSettings.DefaultMaxPendingKeys };

    public Option<double> ReadKeysEvery { get; } = new("--read-keys-every") { Description = "Seconds between readings of the keys written during the copies' comparison (a replication slot keeps the WAL it has not handed out)", DefaultValueFactory = _ => Resharding.ReshardSettings.DefaultReadKeysEvery.TotalSeconds };

    public Option<bool> StopBeforeSwitch { get; } = new("--stop-before-switch") { Description = "Check, copy and catch up, then exit 0 leaving the copies replicating (compare them with plproxy diff); the same command again switches" };

    protected override IEnumerable<Option> Trailing => [.. base.Trailing, ConfigOut, OtherTablesOption, Abort, StopBeforeSwitch, ParallelCopies, FenceTimeout, CatchUpTimeout, BatchSize, MaxPendingKeys, ReadKeysEvery];

    protected override void AddChecks(Command command)
    {
        base.AddChecks(command);
        command.Validators.Add(result =>
        {
            bool config = result.GetResult(Config) is not null, configOut = result.GetResult(ConfigOut) is not null;
            if (config != configOut && (result.GetResult(Proxy) is not null) != config)
            {
                result.AddError(config ? "--config needs --config-out: where to write the cluster's new appsettings fragment." : "--config-out goes with --config (a proxy database is switched in place).");
            }
        });
        Positive(FenceTimeout, 3600);
        Positive(CatchUpTimeout, double.MaxValue);
        Counted(BatchSize);
        Counted(ParallelCopies);
        Counted(MaxPendingKeys);
        Positive(ReadKeysEvery, 3600);
    }

    private static void Counted(Option<int> option) => option.Validators.Add(result =>
    {
        if (result.GetValueOrDefault<int>() <= 0)
        {
            result.AddError($"{option.Name} must be positive.");
        }
    });

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

using Npgsql;
using PlProxy.Client.Connections;
using PlProxy.Client.Partconf;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>The copy and catch-up steps: schema and logical replication into the new databases, then their partconf and a marker awaited.</summary>
internal sealed partial class Resharder
{
    private async Task CopyAsync(Dictionary<ReshardSource, SourceTables> tables, CancellationToken cancellationToken)
    {
        foreach (ReshardSource source in plan.Sources)
        {
            await LogicalCopy.PublishAsync(Database(source.ConnectionString), plan.Publication, tables[source].Copied(settings.OtherTables), cancellationToken).ConfigureAwait(false);
        }

        // Each copy reads its source's tables whole: at most ParallelCopies run at once per source server, the others
        // start (slot, schema, subscription) when their turn comes, so a copy that waits retains no WAL meanwhile.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(plan.Targets.GroupBy(t => DatabaseName.HostOf(Database(t.Source.ConnectionString)), StringComparer.Ordinal).Select(async server =>
        {
            using var turns = new SemaphoreSlim(settings.ParallelCopies);
            await Task.WhenAll(server.Select(async target =>
            {
                await turns.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await CopyIntoAsync(target, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    turns.Release();
                }
            })).ConfigureAwait(false);
        })).ConfigureAwait(false);
        long[] copied = await Task.WhenAll(plan.Targets.Select(target => LogicalCopy.RowsWrittenAsync(Database(target.ConnectionString), cancellationToken))).ConfigureAwait(false);
        await SayAsync("copy", $"{plan.Targets.Count} copies done: {copied.Sum()} rows in {clock.Elapsed.TotalSeconds:0.0} s ({copied.Sum() / Math.Max(clock.Elapsed.TotalSeconds, 0.001):0} rows/s)").ConfigureAwait(false);
    }

    // One new database's copy, from its slot to the end of its initial copy (a copy already there is waited for).
    private async Task CopyIntoAsync(ReshardTarget target, CancellationToken cancellationToken)
    {
        await SayAsync("copy", $"{target.Source.Name} -> {target.Name} (partition {string.Join(", ", target.Settings.Partitions)} of {target.Settings.PartitionCount})").ConfigureAwait(false);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        NpgsqlDataSource database = Database(target.ConnectionString);
        await LogicalCopy.CreateSlotAsync(Database(target.Source.ConnectionString), target.Slot, cancellationToken).ConfigureAwait(false);
        if (!await LogicalCopy.SubscribedAsync(database, target.Slot, cancellationToken).ConfigureAwait(false))
        {
            await LogicalCopy.SubscribeAsync(target, plan.Publication, output, cancellationToken).ConfigureAwait(false);
        }

        await LogicalCopy.WaitCopiedAsync(database, target.Slot, target.Name, output, cancellationToken).ConfigureAwait(false);
        await SayAsync("copy", $"{target.Name} copied in {clock.Elapsed.TotalSeconds:0.0} s").ConfigureAwait(false);
    }

    // The new databases apply what was written meanwhile and get their partconf, ready for the switch (no client
    // routes to them before the new map is published; the copy's writes do not fire triggers).
    private async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        foreach (ReshardTarget target in plan.Targets)
        {
            await PartconfDatabase.InstallAsync(Database(target.ConnectionString), target.Settings, cancellationToken).ConfigureAwait(false);
        }

        await SayAsync("catch-up", "waiting for the new databases to apply every write copied so far").ConfigureAwait(false);
        await MarkAndWaitAsync(plan.Sources, settings.CatchUpTimeout, cancellationToken).ConfigureAwait(false);
    }
}

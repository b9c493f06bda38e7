using Npgsql;
using PlProxy.Client.Partconf;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>The cleanup step: replication ended, rows deleted where they no longer belong.</summary>
internal sealed partial class Resharder
{
    private async Task CleanUpAsync(CancellationToken cancellationToken)
    {
        await SayAsync("cleanup", "ending the copies").ConfigureAwait(false);
        foreach (ReshardTarget target in plan.Targets)
        {
            await LogicalCopy.UnsubscribeAsync(Database(target.ConnectionString), Database(target.Source.ConnectionString), target.Slot, cancellationToken).ConfigureAwait(false);
            await LogicalCopy.UnpublishAsync(Database(target.ConnectionString), plan.Publication, cancellationToken).ConfigureAwait(false);
        }

        foreach (ReshardSource source in plan.Sources)
        {
            await LogicalCopy.UnpublishAsync(Database(source.ConnectionString), plan.Publication, cancellationToken).ConfigureAwait(false);
        }

        IEnumerable<(string ConnectionString, string Name)> keeping = plan.Sources.Where(s => s.New is not null).Select(s => (s.ConnectionString, s.Name))
            .Concat(plan.Targets.Select(t => (t.ConnectionString, t.Name)));
        foreach ((string connectionString, string name) in keeping)
        {
            NpgsqlDataSource database = Database(connectionString);
            foreach (PartitionedTable table in await PartconfDatabase.PartitionedTablesAsync(database, cancellationToken).ConfigureAwait(false))
            {
                long deleted = 0;
                int batch;
                do
                {
                    batch = await database.ExecuteAsync($"""
                        delete from {table.Table} where ctid = any (array(
                            select t.ctid from {table.Table} t, partconf.conf c
                            where not coalesce(partconf.partition_of({table.Hash("t")}) = any (c.part_nrs), false)
                            limit {settings.BatchSize}))
                        """, cancellationToken).ConfigureAwait(false);
                    deleted += batch;
                }
                while (batch > 0);

                await SayAsync("cleanup", $"{name}: {table.Table}: {deleted} rows that belong elsewhere deleted").ConfigureAwait(false);
            }
        }

        foreach (ReshardSource source in plan.Sources.Where(s => s.New is null))
        {
            await SayAsync("cleanup", $"{source.Name} serves no partition of cluster {plan.Cluster} any more (partconf refuses every key); its rows are kept: drop it when you like").ConfigureAwait(false);
        }

        await ReshardOperation.ForgetAsync(store, plan.Cluster, cancellationToken).ConfigureAwait(false);
    }
}

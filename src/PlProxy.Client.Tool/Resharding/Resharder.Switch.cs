using Npgsql;
using PlProxy.Client.Clusters;
using PlProxy.Client.Partconf;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>The fence and switch steps: moving keys refused, earlier writes waited out, copies compared, sources switched, the map published.</summary>
internal sealed partial class Resharder
{
    private async Task FenceAndSwitchAsync(CancellationToken cancellationToken)
    {
        ReshardSource[] pending = [.. await WhereAsync(plan.Sources, async s => !await SwitchedAsync(s, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false)];
        bool publishing = false;
        try
        {
            await SayAsync("fence", $"moving keys refused on {string.Join(", ", pending.Select(s => s.Name))} for at most {settings.FenceLifetime.TotalSeconds:0.#} s").ConfigureAwait(false);
            DateTime[] raised = await Task.WhenAll(pending.Select(source => Fence.RaiseAsync(Database(source.ConnectionString), source, settings.FenceLifetime, cancellationToken))).ConfigureAwait(false);
            TimeSpan bound = settings.FenceLifetime / 3;
            await Task.WhenAll(pending.Select((source, i) => Fence.DrainAsync(Database(source.ConnectionString), raised[i], source.Name, bound, cancellationToken))).ConfigureAwait(false);
            await SayAsync("fence", "every write accepted before the fence has ended").ConfigureAwait(false);
            await MarkAndWaitAsync(plan.Sources, bound, cancellationToken).ConfigureAwait(false);
            await SayAsync("fence", "the new databases have applied them").ConfigureAwait(false);
            await VerifyCopiesAsync(underFence: true, cancellationToken).ConfigureAwait(false);

            await SayAsync("switch", "sources' partconf, then the map").ConfigureAwait(false);
            await Task.WhenAll(pending.Select(source => SwitchSourceAsync(source, cancellationToken))).ConfigureAwait(false);

            // Only while the operation is still recorded: an abort (which takes the same lock) has not undone it.
            if (await ReshardOperation.ReadAsync(store, plan.Cluster, cancellationToken).ConfigureAwait(false) is null)
            {
                throw new ToolRefusal($"The {plan.Verb} of cluster {plan.Cluster} is no longer recorded (it was aborted): the map was not published.");
            }

            publishing = true;
            await map.PublishAsync(plan.NewMap, cancellationToken).ConfigureAwait(false);
            await ReshardOperation.MarkSwitchedAsync(store, plan.Cluster, cancellationToken).ConfigureAwait(false);
            await SayAsync("switch", map.Kind == ProxyMapKind.Configuration
                ? $"the new appsettings fragment of cluster {plan.Cluster} is written: until the application's configuration has it, calls for the moved keys fail as a stale map (nothing is written to the wrong partition)"
                : $"map of cluster {plan.Cluster} published and every client notified ({ProxyDatabaseSource.ChangeChannel})").ConfigureAwait(false);
        }
        catch (Exception) when (!publishing)
        {
            foreach (ReshardSource source in pending)
            {
                try
                {
                    await Fence.LiftAsync(Database(source.ConnectionString), CancellationToken.None).ConfigureAwait(false);
                }
                catch (NpgsqlException)
                {
                    // Unreachable: its fence expires by itself.
                }
            }

            throw;
        }
    }

    // Whether a source's partconf already says what it serves after the switch.
    private async Task<bool> SwitchedAsync(ReshardSource source, CancellationToken cancellationToken)
    {
        List<(int[] Partitions, int Count, int[] Fenced, bool Forever)> conf = await Database(source.ConnectionString).ListAsync(
            "select part_nrs, part_count, fenced_nrs, fenced_until is null from partconf.conf",
            r => (r.GetFieldValue<int[]>(0), r.GetInt32(1), r.GetFieldValue<int[]>(2), r.GetBoolean(3)), cancellationToken).ConfigureAwait(false);
        if (conf.Count == 0)
        {
            return false;
        }

        (int[] partitions, int count, int[] fenced, bool forever) = conf[0];
        return source.New is { } next
            ? partitions.SequenceEqual(next.Partitions.Order()) && count == next.PartitionCount && fenced.Length == 0
            : fenced.SequenceEqual(source.FencedPartitions) && forever;
    }

    // The source serves what it keeps (refusing the moved keys for good), if its fence still holds.
    private async Task SwitchSourceAsync(ReshardSource source, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await Database(source.ConnectionString).OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var check = new NpgsqlCommand("select fenced_nrs <> '{}' and fenced_until > clock_timestamp() from partconf.conf for update", connection, transaction))
        {
            if (await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
            {
                throw new ToolRefusal($"{source.Name}: the fence expired before the switch (raise --fence-timeout).");
            }
        }

        await using (NpgsqlCommand change = source.New is { } next ? PartconfDatabase.ConfigureCommand(next, connection, transaction)
            : new NpgsqlCommand("update partconf.conf set fenced_until = null, version = version + 1", connection, transaction))
        {
            await change.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}

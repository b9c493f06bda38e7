using Npgsql;
using PlProxy.Client.Partconf;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>How a split or move runs.</summary>
/// <param name="OtherTables">What to do with tables no partconf trigger declares partitioned.</param>
/// <param name="FenceLifetime">How long a fence holds if the tool dies before the switch (the moving keys' longest pause then).</param>
/// <param name="CatchUpTimeout">How long the new databases may take to catch up before the fence.</param>
/// <param name="BatchSize">Rows deleted per statement in the cleanup.</param>
/// <param name="StopBeforeSwitch">Stop once the copies have caught up, leaving them replicating (to diff them, and finish later).</param>
/// <param name="ParallelCopies">Initial copies running at once per source server; the others wait their turn.</param>
/// <param name="MaxPendingKeys">
/// Keys written during the chunked comparison held in memory (a few hundred bytes each) before they are compared at
/// once rather than after it.
/// </param>
/// <param name="ReadKeysEvery">How often the recorded keys are read while the chunked comparison runs (a slot keeps the WAL it has not handed out); null for 10 s.</param>
internal sealed record ReshardSettings(
    OtherTables OtherTables, TimeSpan FenceLifetime, TimeSpan CatchUpTimeout, int BatchSize, bool StopBeforeSwitch = false, int ParallelCopies = ReshardSettings.DefaultParallelCopies,
    int MaxPendingKeys = ReshardSettings.DefaultMaxPendingKeys, TimeSpan? ReadKeysEvery = null)
{
    public const int DefaultParallelCopies = 4;

    public const int DefaultMaxPendingKeys = 250_000;

    public static readonly TimeSpan DefaultReadKeysEvery = TimeSpan.FromSeconds(10);

    /// <summary>What <c>split</c> and <c>move</c> run with unless told otherwise (their options' defaults).</summary>
    public static readonly ReshardSettings Default = new(OtherTables.Refuse, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(300), 5000);
}

/// <summary>
/// Runs a split or a move, step by step, each step safe to run again: check (nothing changed), copy (schema and logical
/// replication into the new databases), catch-up, fence (moving keys refused, earlier writes waited out and replicated,
/// copies compared by checksums: every moving row before it, the rows written since under it), switch (new databases' partconf, sources' partconf, the map in the proxy database and its
/// notification, in that order), cleanup (replication ended, rows deleted where they no longer belong). Until the map is
/// published the old cluster serves and <see cref="AbortAsync"/> undoes everything; after it, running again finishes.
/// </summary>
/// <param name="plan">What moves where.</param>
/// <param name="map">Where the map is switched.</param>
/// <param name="switched">Whether an earlier run has switched already.</param>
/// <param name="store">The database the operation is recorded in.</param>
/// <param name="settings">How it runs.</param>
/// <param name="output">Where each step is reported.</param>
internal sealed partial class Resharder(ReshardPlan plan, ProxyMap map, bool switched, string store, ReshardSettings settings, TextWriter output) : IAsyncDisposable
{
    private readonly Dictionary<string, NpgsqlDataSource> _databases = new(StringComparer.Ordinal);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (!switched && !map.Partitions.SequenceEqual(plan.NewMap, StringComparer.Ordinal))
        {
            Dictionary<ReshardSource, SourceTables> tables = await CheckAsync(cancellationToken).ConfigureAwait(false);
            await new ReshardOperation(plan.Kind, plan.OldMap, plan.NewMap).RecordAsync(store, plan.Cluster, cancellationToken).ConfigureAwait(false);
            try
            {
                await CopyAsync(tables, cancellationToken).ConfigureAwait(false);
                await CatchUpAsync(cancellationToken).ConfigureAwait(false);
                if (settings.StopBeforeSwitch)
                {
                    await SayAsync("stopped", $"the copies have caught up and keep replicating; the cluster serves as before. Compare them with plproxy diff --proxy ... --cluster {plan.Cluster}, then run the same command again (without --stop-before-switch) to switch, or with --abort to undo").ConfigureAwait(false);
                    return;
                }

                await RecordChangesAsync(cancellationToken).ConfigureAwait(false);
                await WhileRecordingAsync(token => VerifyCopiesAsync(underFence: false, token), cancellationToken).ConfigureAwait(false);
                await RecheckBeforeFenceAsync(cancellationToken).ConfigureAwait(false);
                await FenceAndSwitchAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or ToolRefusal or InvalidOperationException or TimeoutException && !map.Switched)
            {
                throw ToolRefusal.Rephrased($"{e.Message.TrimEnd('.')}. The {plan.Verb} stopped before the switch; the cluster serves as before. Run the same command again to resume, or with --abort to undo the copy.", e);
            }
        }
        else
        {
            await SayAsync("switch", "the new map is published already; finishing the cleanup").ConfigureAwait(false);
        }

        await CleanUpAsync(cancellationToken).ConfigureAwait(false);
        await SayAsync("done", $"cluster {plan.Cluster} now has {plan.NewMap.Length} partitions: {string.Join(", ", plan.Targets.Select(t => $"{string.Join(", ", t.Settings.Partitions)} on {t.Name}"))} new").ConfigureAwait(false);
    }

    /// <summary>Undoes a split or move that has not switched: sources serve as before, new databases are emptied.</summary>
    public async Task AbortAsync(CancellationToken cancellationToken)
    {
        if (switched || map.Partitions.SequenceEqual(plan.NewMap, StringComparer.Ordinal))
        {
            throw new ToolRefusal($"The {plan.Verb} of cluster {plan.Cluster} has switched: the new map is published and the new databases take writes, so it cannot be undone; run the same command without --abort to finish it.");
        }

        foreach (ReshardSource source in plan.Sources)
        {
            await SayAsync("abort", $"{source.Name} serves partitions {string.Join(", ", source.Old.Partitions)} of {source.Old.PartitionCount} as before").ConfigureAwait(false);
            await ConfigureAsync(Database(source.ConnectionString), source.Old, cancellationToken).ConfigureAwait(false);
        }

        foreach (ReshardTarget target in plan.Targets)
        {
            await SayAsync("abort", $"{target.Name}: copy stopped and removed").ConfigureAwait(false);
            await LogicalCopy.UnsubscribeAsync(Database(target.ConnectionString), Database(target.Source.ConnectionString), target.Slot, cancellationToken).ConfigureAwait(false);
            await NewDatabase.EmptyAsync(Database(target.ConnectionString), cancellationToken).ConfigureAwait(false);
        }

        foreach (ReshardSource source in plan.Sources)
        {
            await LogicalCopy.UnpublishAsync(Database(source.ConnectionString), plan.Publication, cancellationToken).ConfigureAwait(false);
        }

        await ReshardOperation.ForgetAsync(store, plan.Cluster, cancellationToken).ConfigureAwait(false);
        await SayAsync("done", $"the {plan.Verb} of cluster {plan.Cluster} is undone; it serves its {plan.OldMap.Length} partitions as before").ConfigureAwait(false);
    }

    /// <summary>Ends the recording of written keys, if any, and closes the connection pools of the databases the run used.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopRecordingAsync(reason: null).ConfigureAwait(false);
        foreach (NpgsqlDataSource database in _databases.Values)
        {
            await database.DisposeAsync().ConfigureAwait(false);
        }
    }

    // Bumps each source's marker and waits until its new databases show it: they have every write committed before.
    private async Task MarkAndWaitAsync(IEnumerable<ReshardSource> sources, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ReshardSource[] marked = [.. sources];
        long[] marks = await Task.WhenAll(marked.Select(source => LogicalCopy.MarkAsync(Database(source.ConnectionString), cancellationToken))).ConfigureAwait(false);
        await Task.WhenAll(plan.Targets.Select(target => LogicalCopy.WaitMarkAsync(
            Database(target.ConnectionString), marks[Array.IndexOf(marked, target.Source)], target.Name, timeout, cancellationToken))).ConfigureAwait(false);
    }

    private async Task ConfigureAsync(NpgsqlDataSource database, PartconfSettings settings, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlCommand configure = PartconfDatabase.ConfigureCommand(settings, connection, null);
        await configure.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private NpgsqlDataSource Database(string connectionString)
    {
        lock (_databases)
        {
            if (!_databases.TryGetValue(connectionString, out NpgsqlDataSource? database))
            {
                database = ToolDatabase.Create(connectionString);
                _databases.Add(connectionString, database);
            }

            return database;
        }
    }

    // The first statement on a database: a failure says which database could not be reached.
    private async Task<T> Reached<T>(string name, Func<Task<T>> first)
    {
        try
        {
            return await first().ConfigureAwait(false);
        }
        catch (NpgsqlException e) when (e is not PostgresException)
        {
            throw new ToolRefusal($"{name} cannot be reached ({e.Message}); the {plan.Verb} needs every database of the cluster and every new database up. Nothing was changed.", e);
        }
    }

    private static async Task<List<T>> WhereAsync<T>(IEnumerable<T> items, Func<T, Task<bool>> predicate)
    {
        var kept = new List<T>();
        foreach (T item in items)
        {
            if (await predicate(item).ConfigureAwait(false))
            {
                kept.Add(item);
            }
        }

        return kept;
    }

    private Task SayAsync(string step, string message) => output.WriteLineAsync($"{DateTime.Now:HH:mm:ss.fff} plproxy {plan.Verb}: {step}: {message}");
}

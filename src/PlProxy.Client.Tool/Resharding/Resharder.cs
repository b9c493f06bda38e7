using Npgsql;
using PlProxy.Client.Clusters;
using PlProxy.Client.Partconf;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>How a split or move runs.</summary>
/// <param name="OtherTables">What to do with tables no partconf trigger declares partitioned.</param>
/// <param name="FenceLifetime">How long a fence holds if the tool dies before the switch (the moving keys' longest pause then).</param>
/// <param name="CatchUpTimeout">How long the new databases may take to catch up before the fence.</param>
/// <param name="BatchSize">Rows deleted per statement in the cleanup.</param>
internal sealed record ReshardSettings(OtherTables OtherTables, TimeSpan FenceLifetime, TimeSpan CatchUpTimeout, int BatchSize);

/// <summary>
/// Runs a split or a move, step by step, each step safe to run again: check (nothing changed), copy (schema and logical
/// replication into the new databases), catch-up, fence (moving keys refused, earlier writes waited out and replicated,
/// copies counted), switch (new databases' partconf, sources' partconf, the map in the proxy database and its
/// notification, in that order), cleanup (replication ended, rows deleted where they no longer belong). Until the map is
/// published the old cluster serves and <see cref="AbortAsync"/> undoes everything; after it, running again finishes.
/// </summary>
/// <param name="plan">What moves where.</param>
/// <param name="map">Where the map is switched.</param>
/// <param name="switched">Whether an earlier run has switched already.</param>
/// <param name="store">The database the operation is recorded in.</param>
/// <param name="settings">How it runs.</param>
/// <param name="output">Where each step is reported.</param>
internal sealed class Resharder(ReshardPlan plan, ProxyMap map, bool switched, string store, ReshardSettings settings, TextWriter output) : IAsyncDisposable
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
                await FenceAndSwitchAsync(tables, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or ToolRefusal or InvalidOperationException or TimeoutException && !map.Switched)
            {
                throw new ToolRefusal($"{e.Message.TrimEnd('.')}. The {plan.Verb} stopped before the switch; the cluster serves as before. Run the same command again to resume, or with --abort to undo the copy.", e);
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

    /// <summary>Closes the connection pools of the databases the run used.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (NpgsqlDataSource database in _databases.Values)
        {
            await database.DisposeAsync().ConfigureAwait(false);
        }
    }

    // Everything that can be known before anything is changed.
    private async Task<Dictionary<ReshardSource, SourceTables>> CheckAsync(CancellationToken cancellationToken)
    {
        await SayAsync("check", $"{plan.Verb} cluster {plan.Cluster}: {plan.OldMap.Length} partitions on {plan.Sources.Count} source database(s) into {plan.Targets.Count} new database(s)").ConfigureAwait(false);
        if (map.Kind == ProxyMapKind.Functions)
        {
            throw new ToolRefusal(map.ManualSwitch(plan.NewMap));
        }

        var tables = new Dictionary<ReshardSource, SourceTables>();
        foreach (ReshardSource source in plan.Sources)
        {
            NpgsqlDataSource database = Database(source.ConnectionString);
            string walLevel = await Reached(source.Name, () => database.ScalarAsync<string>("select current_setting('wal_level')", cancellationToken)).ConfigureAwait(false);
            if (walLevel != "logical")
            {
                throw new ToolRefusal($"{source.Name} runs with wal_level = {walLevel}: copying into the new databases uses logical replication; set wal_level = logical (and restart that server) first. Nothing was changed.");
            }

            int version = await database.ScalarAsync<int>("select case when to_regproc('partconf.script_version') is null then 0 else partconf.script_version() end", cancellationToken).ConfigureAwait(false);
            if (version < PartconfDatabase.ScriptVersion)
            {
                throw new ToolRefusal($"{source.Name} has partconf {version}; the {plan.Verb} needs partconf {PartconfDatabase.ScriptVersion}: run plproxy partconf install --proxy ... --cluster {plan.Cluster} first. Nothing was changed.");
            }

            string walWriterDelay = await database.ScalarAsync<string>("select setting from pg_catalog.pg_settings where name = 'wal_writer_delay'", cancellationToken).ConfigureAwait(false);
            if (int.Parse(walWriterDelay, System.Globalization.CultureInfo.InvariantCulture) > 20)
            {
                await SayAsync("check", $"note: {source.Name} runs with wal_writer_delay = {walWriterDelay} ms; the copy sends only flushed WAL, so the fence may last that much longer (wal_writer_delay = 10ms, a reload, shortens it)").ConfigureAwait(false);
            }

            SourceTables found = await SourceTables.ReadAsync(database, cancellationToken).ConfigureAwait(false);
            if (found.Partitioned.Count == 0 && found.Others.Count == 0)
            {
                await SayAsync("check", $"{source.Name} has no tables").ConfigureAwait(false);
            }

            if (found.Others.Count > 0 && settings.OtherTables == OtherTables.Refuse)
            {
                throw new ToolRefusal($"{source.Name} has tables without a partconf.valid_hash trigger: {string.Join(", ", found.Others)}. Add the trigger to those partitioned by a key, and say what to do with the rest: --other-tables copy (copied whole to the new databases, kept whole everywhere) or --other-tables leave (the new databases get them empty). Nothing was changed.");
            }

            string[] blind = [.. found.WithoutIdentity.Intersect(found.Copied(settings.OtherTables), StringComparer.Ordinal)];
            if (blind.Length > 0)
            {
                throw new ToolRefusal($"{source.Name}: logical replication cannot copy updates and deletes of {string.Join(", ", blind)} (no primary key or replica identity); give them a primary key or REPLICA IDENTITY FULL. Nothing was changed.");
            }

            tables[source] = found;
        }

        foreach (ReshardTarget target in plan.Targets)
        {
            NpgsqlDataSource database = Database(target.ConnectionString);
            bool subscribed = await Reached(target.Name, () => LogicalCopy.SubscribedAsync(database, target.Slot, cancellationToken)).ConfigureAwait(false);
            if (!subscribed)
            {
                List<string> existing = await database.ListAsync("""
                    select c.oid::regclass::text from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
                    where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp)'
                    order by 1 limit 5
                    """, r => r.GetString(0), cancellationToken).ConfigureAwait(false);
                if (existing.Count > 0)
                {
                    throw new ToolRefusal($"{target.Name} is not empty (it has {string.Join(", ", existing)}): the {plan.Verb} copies into new, empty databases. Nothing was changed.");
                }
            }
        }

        return tables;
    }

    private async Task CopyAsync(Dictionary<ReshardSource, SourceTables> tables, CancellationToken cancellationToken)
    {
        foreach (ReshardSource source in plan.Sources)
        {
            await LogicalCopy.PublishAsync(Database(source.ConnectionString), plan.Publication, tables[source].Copied(settings.OtherTables), cancellationToken).ConfigureAwait(false);
        }

        foreach (ReshardTarget target in plan.Targets)
        {
            await SayAsync("copy", $"{target.Source.Name} -> {target.Name} (partition {string.Join(", ", target.Settings.Partitions)} of {target.Settings.PartitionCount})").ConfigureAwait(false);
            NpgsqlDataSource database = Database(target.ConnectionString);
            await LogicalCopy.CreateSlotAsync(Database(target.Source.ConnectionString), target.Slot, cancellationToken).ConfigureAwait(false);
            if (!await LogicalCopy.SubscribedAsync(database, target.Slot, cancellationToken).ConfigureAwait(false))
            {
                await LogicalCopy.SubscribeAsync(target, plan.Publication, cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (ReshardTarget target in plan.Targets)
        {
            await LogicalCopy.WaitCopiedAsync(Database(target.ConnectionString), target.Slot, target.Name, output, cancellationToken).ConfigureAwait(false);
        }
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

    private async Task FenceAndSwitchAsync(Dictionary<ReshardSource, SourceTables> tables, CancellationToken cancellationToken)
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
            await VerifyCopiesAsync(tables, cancellationToken).ConfigureAwait(false);
            await SayAsync("fence", "copies counted: every moving row is on its new database").ConfigureAwait(false);

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

    // Every copied row is on its new database: per partitioned table the rows of the moving keys, per table copied whole
    // all rows, counted on both sides while the fence holds them still.
    private Task VerifyCopiesAsync(Dictionary<ReshardSource, SourceTables> tables, CancellationToken cancellationToken) =>
        Task.WhenAll(plan.Targets.Select(async target =>
        {
            SourceTables copied = tables[target.Source];
            var queries = copied.Partitioned
                .Select(t => (t.Table, Sql: $"select count(*) from {t.Table} t where {t.BelongsTo("t", target.Settings)}"))
                .Concat(settings.OtherTables == OtherTables.Copy ? copied.Others.Select(t => (Table: t, Sql: $"select count(*) from {t}")) : []);
            foreach ((string table, string sql) in queries)
            {
                long onSource = await Database(target.Source.ConnectionString).ScalarAsync<long>(sql, cancellationToken).ConfigureAwait(false);
                long onTarget = await Database(target.ConnectionString).ScalarAsync<long>(sql, cancellationToken).ConfigureAwait(false);
                if (onSource != onTarget)
                {
                    throw new ToolRefusal($"{table}: {onSource} rows to copy on {target.Source.Name}, {onTarget} on {target.Name}.");
                }
            }
        }));

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
                database = NpgsqlDataSource.Create(connectionString);
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

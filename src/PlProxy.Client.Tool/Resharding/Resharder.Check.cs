using Npgsql;
using PlProxy.Client.Clusters;
using PlProxy.Client.Partconf;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>The check step: everything that can be known before anything is changed.</summary>
internal sealed partial class Resharder
{
    // Everything that can be known before anything is changed.
    private async Task<Dictionary<ReshardSource, SourceTables>> CheckAsync(CancellationToken cancellationToken)
    {
        await SayAsync("check", $"{plan.Verb} cluster {plan.Cluster}: {plan.OldMap.Length} partitions on {plan.Sources.Count} source database(s) into {plan.Targets.Count} new database(s)").ConfigureAwait(false);
        if (map.Kind == ProxyMapKind.Functions)
        {
            throw new ToolRefusal(map.ManualSwitch(plan.NewMap));
        }

        var tables = new Dictionary<ReshardSource, SourceTables>();
        var encodings = new TextHashEncodings(plan.Verb, plan.ProxyDatabaseEncoding);
        foreach (ReshardSource source in plan.Sources)
        {
            LibpqSettings.RefuseWhatProgramsCannotTake(source.Name, source.ConnectionString);
            NpgsqlDataSource database = Database(source.ConnectionString);
            string walLevel = await Reached(source.Name, () => database.ScalarAsync<string>("select current_setting('wal_level')", cancellationToken)).ConfigureAwait(false);
            encodings.Note(source.Name, await ProxyDatabaseReader.ServerEncodingAsync(database, cancellationToken).ConfigureAwait(false));
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
            LibpqSettings.RefuseWhatProgramsCannotTake(target.Name, target.ConnectionString);
            NpgsqlDataSource database = Database(target.ConnectionString);
            bool subscribed = await Reached(target.Name, () => LogicalCopy.SubscribedAsync(database, target.Slot, cancellationToken)).ConfigureAwait(false);
            encodings.Note(target.Name, await ProxyDatabaseReader.ServerEncodingAsync(database, cancellationToken).ConfigureAwait(false));
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

        await RefuseDatabasesGivenTwiceAsync(cancellationToken).ConfigureAwait(false);
        await RefuseSourcesOtherClustersListAsync(cancellationToken).ConfigureAwait(false);
        await RefuseServersShortOfWorkersAsync(cancellationToken).ConfigureAwait(false);
        await RefuseServersShortOfSlotsOrSendersAsync(cancellationToken).ConfigureAwait(false);
        encodings.Check(tables.Values.Any(t => t.Partitioned.Any(p => p.HashesText)));
        return tables;
    }

    // Each new database's copy is a subscription whose apply worker runs until the switch, and a table's initial copy
    // needs a table-sync worker beside them: a server whose logical replication workers cannot hold them all would
    // leave the copies waiting for a worker for ever (PostgreSQL only logs "out of logical replication worker slots").
    private async Task RefuseServersShortOfWorkersAsync(CancellationToken cancellationToken)
    {
        foreach (IGrouping<string, ReshardTarget> server in plan.Targets.GroupBy(t => ServerOf(t.ConnectionString), StringComparer.Ordinal))
        {
            NpgsqlDataSource database = Database(server.First().ConnectionString);
            (int logical, int background) = (await database.ListAsync(
                "select pg_catalog.current_setting('max_logical_replication_workers')::int, pg_catalog.current_setting('max_worker_processes')::int",
                r => (r.GetInt32(0), r.GetInt32(1)), cancellationToken).ConfigureAwait(false))[0];
            int slots = Math.Min(logical, background - 1); // logical replication workers are background workers too, beside their launcher
            string[] ours = [.. server.Select(t => t.Slot)]; // a run going on from --stop-before-switch has its subscriptions already
            long others = await database.ScalarAsync<long>("select count(pid) from pg_catalog.pg_stat_subscription where subname <> all($1)", cancellationToken, (object)ours).ConfigureAwait(false);
            int needed = server.Count() + 1;
            if (slots - others < needed)
            {
                throw new ToolRefusal($"{server.Key} receives {server.Count()} new database(s): their copies run {server.Count()} subscription worker(s) until the switch and a table-sync worker beside them, {needed} at once, but it has room for {slots} (max_logical_replication_workers {logical}, max_worker_processes {background} less the replication launcher){(others > 0 ? $", {others} of them in use by other subscriptions" : "")}. Raise both on that server, which takes a restart, or give new databases on other servers. Nothing was changed.");
            }
        }

    }

    // Each copy's subscription holds a replication slot and a WAL sender on its source's server until the switch: a
    // server out of them would fail the copy midway, or leave a subscription retrying its connection for ever. (The
    // finishing run's temporary slots that record the keys written are not counted: without one, every moving row is
    // compared again under the fence instead.)
    private async Task RefuseServersShortOfSlotsOrSendersAsync(CancellationToken cancellationToken)
    {
        string[] ours = [.. plan.Targets.Select(t => t.Slot)];
        foreach (IGrouping<string, ReshardTarget> server in plan.Targets.GroupBy(t => ServerOf(t.Source.ConnectionString), StringComparer.Ordinal))
        {
            int copies = server.Count();
            NpgsqlDataSource database = Database(server.First().Source.ConnectionString);
            List<(int Slots, int Senders, long SlotsUsed, long SendersUsed)> state = await database.ListAsync("""
                select pg_catalog.current_setting('max_replication_slots')::int, pg_catalog.current_setting('max_wal_senders')::int,
                       (select count(*) from pg_catalog.pg_replication_slots where slot_name <> all($1)),
                       (select count(*) from pg_catalog.pg_stat_replication where application_name <> all($1))
                """, r => (r.GetInt32(0), r.GetInt32(1), r.GetInt64(2), r.GetInt64(3)), cancellationToken, (object)ours).ConfigureAwait(false);
            (int slots, int senders, long slotsUsed, long sendersUsed) = state[0];
            if (slots - slotsUsed < copies)
            {
                throw new ToolRefusal($"{server.Key} needs {copies} replication slot(s) for the copies read from it until the switch, but its max_replication_slots is {slots}{(slotsUsed > 0 ? $", {slotsUsed} of them in use" : "")}. Raise it on that server (a restart). Nothing was changed.");
            }

            if (senders - sendersUsed < copies)
            {
                throw new ToolRefusal($"{server.Key} needs {copies} WAL sender(s) for the copies read from it until the switch, but its max_wal_senders is {senders}{(sendersUsed > 0 ? $", {sendersUsed} of them in use (standbys, other subscriptions)" : "")}. Raise it on that server (a restart). Nothing was changed.");
            }
        }
    }

    // host:port of a database the check reaches, as its pool names it.
    private string ServerOf(string connectionString)
    {
        (string? address, int port) = Connections.DatabaseName.ServerOf(Database(connectionString));
        return $"{address}:{port}";
    }

    // A source another cluster of the proxy database also lists: its map would not follow the switch, and its calls for
    // the moved keys would go on to the old database, which deletes their rows at the cleanup.
    private async Task RefuseSourcesOtherClustersListAsync(CancellationToken cancellationToken)
    {
        HashSet<string> sources = [.. plan.Sources.Select(s => Connections.DatabaseName.AddressOf(s.ConnectionString))];
        foreach ((string other, string partition) in await map.OtherClustersAsync(cancellationToken).ConfigureAwait(false))
        {
            string address;
            try
            {
                address = Connections.DatabaseName.AddressOf(Connections.ConnectionStrings.ToNpgsql(partition));
            }
            catch (ArgumentException)
            {
                continue; // a string the other cluster's clients cannot read either
            }

            if (sources.Contains(address))
            {
                throw new ToolRefusal($"cluster '{other}' of the {(map.Kind == ProxyMapKind.Configuration ? "configuration" : "proxy database")} also lists {address}: its map would not follow the {plan.Verb}, and its calls for the moved keys would go on to that database, which deletes their rows at the cleanup. Before the {plan.Verb}, drop that cluster or have it read this cluster's partitions (its get_cluster_partitions returning '{plan.Cluster}''s). Nothing was changed.");
            }
        }
    }

    // A new database named twice, or naming a source, in strings written differently (a host's other name): its copies
    // would land in one database, whose partconf the last one sets, and the cleanup would delete the others' rows.
    private async Task RefuseDatabasesGivenTwiceAsync(CancellationToken cancellationToken)
    {
        (string ConnectionString, bool IsNew)[] databases =
            [.. plan.Sources.Select(s => (s.ConnectionString, false)), .. plan.Targets.Select(t => (t.ConnectionString, true))];
        int[] first = await DatabaseIdentity.FirstOfEachAsync([.. databases.Select(d => Database(d.ConnectionString))], cancellationToken).ConfigureAwait(false);
        for (int i = 0; i < databases.Length; i++)
        {
            if (first[i] != i && databases[i].IsNew)
            {
                string given = Connections.DatabaseName.AddressOf(databases[i].ConnectionString);
                string other = Connections.DatabaseName.AddressOf(databases[first[i]].ConnectionString);
                throw new ToolRefusal(databases[first[i]].IsNew
                    ? $"{given} and {other} are one database, named in two ways: every partition needs a database of its own (--to). Nothing was changed."
                    : $"{given} is {other}, named in another way, which already serves cluster '{plan.Cluster}': give new, empty databases (--to). Nothing was changed.");
            }
        }
    }
}

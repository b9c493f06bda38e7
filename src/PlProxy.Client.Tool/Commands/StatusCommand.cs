using System.CommandLine;
using Npgsql;
using PlProxy.Client.Connections;
using PlProxy.Client.Partconf;
using PlProxy.Client.Tool.Resharding;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Commands;

/// <summary><c>plproxy status</c>: the cluster's version, a split or move in progress, and each partition database's partconf and copies.</summary>
internal static class StatusCommand
{
    /// <summary>
    /// <c>plproxy status --proxy "&lt;proxy db&gt;" --cluster &lt;name&gt;</c>: the cluster's version in the proxy database and,
    /// per partition database, what the proxy database says it serves next to what its partconf says.
    /// </summary>
    public static Command Create()
    {
        var options = new ClusterOptions();
        Option<string> proxy = options.Proxy, cluster = options.Cluster;
        var json = JsonReport.Option();
        var status = new Command("status", "Shows the cluster's version and each partition database's partconf.") { json };
        options.AddTo(status);
        status.SetAction((result, cancellationToken) => Verb.RunAsync(result, "status", async output =>
        {
            string name = result.GetValue(cluster)!;
            PartconfCluster definition = await PartconfDatabase.DatabasesAsync(result.GetValue(proxy)!, name, cancellationToken).ConfigureAwait(false);
            output.HideSecretsOf(definition);
            string proxyDatabase = ConnectionStrings.ToNpgsql(result.GetValue(proxy)!);
            (ReshardOperation Operation, bool Switched)? inProgress = null;
            if (await ReshardOperation.ReadAsync(proxyDatabase, name, cancellationToken).ConfigureAwait(false) is { } operation)
            {
                bool switched = definition.Definition.Options.Partitions.Count == operation.NewMap.Length
                    && (await ProxyMap.ReadAsync(proxyDatabase, name, definition.Definition.Options.Partitions, cancellationToken).ConfigureAwait(false)).Partitions.SequenceEqual(operation.NewMap, StringComparer.Ordinal);
                inProgress = (operation, switched);
            }

            List<(string Database, int[] Partitions, long Rows, double RowsPerSecond)> newDatabases = inProgress is { Switched: false } running
                ? await CopyRatesAsync(definition, running.Operation, cancellationToken).ConfigureAwait(false)
                : [];
            var databases = new List<(string Database, PartconfSettings Expected, string Partconf, List<string> Copies)>();
            foreach ((string connectionString, PartconfSettings expected) in definition.Databases)
            {
                databases.Add((new NpgsqlConnectionStringBuilder(connectionString).Database!, expected,
                    await PartconfOfAsync(connectionString, cancellationToken).ConfigureAwait(false),
                    await CopiesFromAsync(connectionString, cancellationToken).ConfigureAwait(false)));
            }

            if (result.GetValue(json))
            {
                await JsonReport.WriteAsync(output, w =>
                {
                    w.WriteStartObject();
                    w.WriteString("cluster", name);
                    w.WriteString("version", definition.Version);
                    if (inProgress is { } p)
                    {
                        w.WriteStartObject("operation");
                        w.WriteString("kind", p.Operation.Kind == ReshardKind.Split ? "split" : "move");
                        w.WriteNumber("from", p.Operation.OldMap.Length);
                        w.WriteNumber("to", p.Operation.NewMap.Length);
                        w.WriteBoolean("switched", p.Switched);
                        w.WriteStartArray("copies");
                        foreach ((string database, int[] partitions, long rows, double rate) in newDatabases)
                        {
                            w.WriteStartObject();
                            w.WriteString("database", database);
                            w.WriteStartArray("partitions");
                            foreach (int partition in partitions)
                            {
                                w.WriteNumberValue(partition);
                            }

                            w.WriteEndArray();
                            w.WriteNumber("rows", rows);
                            w.WriteNumber("rowsPerSecond", Math.Round(rate, 1));
                            w.WriteEndObject();
                        }

                        w.WriteEndArray();
                        w.WriteEndObject();
                    }
                    else
                    {
                        w.WriteNull("operation");
                    }

                    w.WriteStartArray("databases");
                    foreach ((string database, PartconfSettings expected, string partconf, List<string> copies) in databases)
                    {
                        w.WriteStartObject();
                        w.WriteString("database", database);
                        w.WriteStartArray("partitions");
                        foreach (int partition in expected.Partitions)
                        {
                            w.WriteNumberValue(partition);
                        }

                        w.WriteEndArray();
                        w.WriteNumber("partitionCount", expected.PartitionCount);
                        w.WriteString("partconf", partconf);
                        w.WriteStartArray("copies");
                        foreach (string copy in copies)
                        {
                            w.WriteStringValue(copy);
                        }

                        w.WriteEndArray();
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                }).ConfigureAwait(false);
                return 0;
            }

            await output.WriteLineAsync($"cluster {name}: version {definition.Version}").ConfigureAwait(false);
            if (inProgress is { } progress)
            {
                await output.WriteLineAsync($"{(progress.Operation.Kind == ReshardKind.Split ? "split" : "move")} in progress: {progress.Operation.OldMap.Length} -> {progress.Operation.NewMap.Length} partitions, {(progress.Switched ? "switched; run it again to finish the cleanup" : "not switched: the old map serves (run it again to resume, or with --abort)")}").ConfigureAwait(false);
                foreach ((string database, int[] partitions, long rows, double rate) in newDatabases)
                {
                    await output.WriteLineAsync($"  new database {database} (partition {string.Join(", ", partitions)}): {rows} rows written, {rate:0} rows/s").ConfigureAwait(false);
                }
            }

            foreach ((string database, PartconfSettings expected, string partconf, List<string> copies) in databases)
            {
                await output.WriteLineAsync($"{database} (partitions {string.Join(", ", expected.Partitions)} of {expected.PartitionCount}): {partconf}").ConfigureAwait(false);
                foreach (string copy in copies)
                {
                    await output.WriteLineAsync($"  {copy}").ConfigureAwait(false);
                }
            }

            return 0;
        }));
        return status;
    }

    // Each new database of a split or move that has not switched: the rows written into it so far (its copy's and its
    // stream's) and how many per second, read one second apart.
    private static async Task<List<(string Database, int[] Partitions, long Rows, double RowsPerSecond)>> CopyRatesAsync(PartconfCluster definition, ReshardOperation operation, CancellationToken cancellationToken)
    {
        ReshardPlan plan;
        try
        {
            plan = ReshardPlan.Of(definition, operation, await ReshardVerb.DbCodesAsync(definition, operation.OldMap, cancellationToken).ConfigureAwait(false));
        }
        catch (ToolRefusal)
        {
            return []; // a source without partconf: its copies cannot be named, their WAL lag below still shows
        }

        var targets = plan.Targets.Select(t => (Target: t, Database: ToolDatabase.Create(t.ConnectionString))).ToList();
        try
        {
            long[] before = await Task.WhenAll(targets.Select(t => Rows(t.Database))).ConfigureAwait(false);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            long[] after = await Task.WhenAll(targets.Select(t => Rows(t.Database))).ConfigureAwait(false);
            return [.. targets.Select((t, i) => (t.Target.Name, t.Target.Settings.Partitions.ToArray(), after[i], (after[i] - before[i]) / clock.Elapsed.TotalSeconds))];
        }
        finally
        {
            foreach ((_, NpgsqlDataSource database) in targets)
            {
                await database.DisposeAsync().ConfigureAwait(false);
            }
        }

        async Task<long> Rows(NpgsqlDataSource database)
        {
            try
            {
                return await LogicalCopy.RowsWrittenAsync(database, cancellationToken).ConfigureAwait(false);
            }
            catch (NpgsqlException)
            {
                return 0; // unreachable: the copy lines below say so
            }
        }
    }

    // One database's partconf as it describes itself, or why there is none to read.
    private static async Task<string> PartconfOfAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using NpgsqlDataSource database = ToolDatabase.Create(connectionString);
        await using NpgsqlCommand command = database.CreateCommand("""
            select format('partconf %s, partitions %s of %s, %s, %s hash, db_code %s, fenced {%s}, configuration version %s',
                          partconf.script_version(), array_to_string(part_nrs, ', '), part_count, mapping, hash_flavor, db_code,
                          array_to_string(fenced_nrs, ', '), version)
            from partconf.conf
            """);
        try
        {
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string ?? "partconf installed but not configured";
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedFunction or PostgresErrorCodes.InvalidSchemaName)
        {
            return "no partconf (plproxy partconf install)";
        }
    }

    // The logical replication a split or move runs from one database: each slot, how far its copy lags (bytes of WAL
    // not yet applied, and the replay lag the source's walsender measures).
    private static async Task<List<string>> CopiesFromAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using NpgsqlDataSource database = ToolDatabase.Create(connectionString);
        return await database.ListAsync("""
            select format('copy %s: %s, %s bytes of WAL not yet applied by the new database%s', s.slot_name, case when s.active then 'streaming' else 'not connected' end,
                          coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn), 0)::int8,
                          coalesce(', replay lag ' || round(extract(epoch from r.replay_lag)::numeric, 3) || ' s', ''))
            from pg_catalog.pg_replication_slots s
            left join pg_catalog.pg_stat_replication r on r.pid = s.active_pid
            where s.slot_name::text like 'plproxy\_%' and s.database = current_database() order by s.slot_name
            """, r => r.GetString(0), cancellationToken).ConfigureAwait(false);
    }
}

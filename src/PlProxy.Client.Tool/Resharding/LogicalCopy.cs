using System.Diagnostics;
using Npgsql;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>
/// PostgreSQL's logical replication from a source database into a new one: a publication of the copied tables (and a
/// marker row) on the source, a slot per new database, and on the new database its schema and a subscription created in
/// one transaction (so a new database is either untouched or copying). The slot is made before the subscription, so
/// source and new database may share a server.
/// </summary>
internal static class LogicalCopy
{
    // A row bumped on the source after the writes that must be copied; once the new database shows the bumped value,
    // every write committed before it has been applied there (logical replication applies in commit order).
    private const string Marker = "partconf.copy_marker";

    /// <summary>The publication of <paramref name="tables"/> and the marker on the source, if it is not there yet.</summary>
    public static async Task PublishAsync(NpgsqlDataSource source, string publication, IEnumerable<string> tables, CancellationToken cancellationToken)
    {
        await source.ExecuteAsync($"""
            create table if not exists {Marker} (singleton boolean primary key default true check (singleton), n int8 not null);
            insert into {Marker} (n) values (0) on conflict do nothing;
            """, cancellationToken).ConfigureAwait(false);
        if (await source.ScalarAsync<long>("select count(*) from pg_catalog.pg_publication where pubname = $1", cancellationToken, publication).ConfigureAwait(false) == 0)
        {
            await source.ExecuteAsync($"create publication {publication} for table {string.Join(", ", tables.Append(Marker))}", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The slot a new database copies through, if it is not there yet.</summary>
    public static async Task CreateSlotAsync(NpgsqlDataSource source, string slot, CancellationToken cancellationToken)
    {
        if (await source.ScalarAsync<long>("select count(*) from pg_catalog.pg_replication_slots where slot_name = $1", cancellationToken, slot).ConfigureAwait(false) == 0)
        {
            await source.ExecuteAsync("select pg_catalog.pg_create_logical_replication_slot($1, 'pgoutput')", cancellationToken, slot).ConfigureAwait(false);
        }
    }

    /// <summary>Whether the new database already copies through <paramref name="slot"/>.</summary>
    public static async Task<bool> SubscribedAsync(NpgsqlDataSource target, string slot, CancellationToken cancellationToken) =>
        await target.ScalarAsync<long>("select count(*) from pg_catalog.pg_subscription where subname = $1 and subdbid = (select oid from pg_catalog.pg_database where datname = current_database())", cancellationToken, slot).ConfigureAwait(false) > 0;

    /// <summary>
    /// The source's schema and the subscription, in one transaction on the new database. A password the subscription's
    /// connection takes from the tool's environment or password file is hidden from <paramref name="output"/> from now on.
    /// </summary>
    public static async Task SubscribeAsync(ReshardTarget target, string publication, TextWriter output, CancellationToken cancellationToken)
    {
        string schema = await PostgresPrograms.DumpSchemaAsync(target.Source.ConnectionString, cancellationToken).ConfigureAwait(false);
        string connection = LibpqSettings.ConnectionInfo(target.Source.ConnectionString);
        (output as ToolOutput)?.HideSecretsOf(connection);
        string subscription = $"""

            create subscription {target.Slot} connection {Literal(connection)} publication {publication}
                with (create_slot = false, slot_name = '{target.Slot}', copy_data = true);
            """;
        await PostgresPrograms.ExecuteScriptAsync(target.ConnectionString, schema + subscription, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Rows written into the new database's tables so far (the copy's and the stream's), from its statistics.</summary>
    public static Task<long> RowsWrittenAsync(NpgsqlDataSource target, CancellationToken cancellationToken) =>
        target.ScalarAsync<long>("select coalesce(sum(n_tup_ins), 0)::int8 from pg_catalog.pg_stat_user_tables", cancellationToken);

    /// <summary>
    /// Waits until every table's initial copy is done, saying every 10 s how far it is (tables left, rows copied,
    /// rows per second); fails when the server reports copy errors.
    /// </summary>
    public static async Task WaitCopiedAsync(NpgsqlDataSource target, string slot, string name, TextWriter output, CancellationToken cancellationToken)
    {
        var progress = Stopwatch.StartNew();
        long rowsBefore = await RowsWrittenAsync(target, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            List<(long Waiting, long Errors)> state = await target.ListAsync("""
                select (select count(*) from pg_catalog.pg_subscription_rel r where r.srsubid = s.oid and r.srsubstate <> 'r'),
                       coalesce(st.sync_error_count + st.apply_error_count, 0)
                from pg_catalog.pg_subscription s left join pg_catalog.pg_stat_subscription_stats st on st.subid = s.oid
                where s.subname = $1
                """, r => (r.GetInt64(0), r.GetInt64(1)), cancellationToken, slot).ConfigureAwait(false);
            if (state.Count == 0)
            {
                throw new ToolRefusal($"{name} has no subscription {slot}.");
            }

            if (state[0].Errors > 0)
            {
                throw new ToolRefusal($"Copying into {name} fails on the server ({state[0].Errors} errors in pg_stat_subscription_stats of subscription {slot}); its server log says why.");
            }

            if (state[0].Waiting == 0)
            {
                return;
            }

            if (progress.Elapsed > TimeSpan.FromSeconds(10))
            {
                long rows = await RowsWrittenAsync(target, cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync($"  {name}: {state[0].Waiting} tables still copying, {rows} rows copied ({(rows - rowsBefore) / progress.Elapsed.TotalSeconds:0} rows/s)").ConfigureAwait(false);
                rowsBefore = rows;
                progress.Restart();
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Bumps the source's marker: every write committed before this call is copied once the new databases show the result.</summary>
    public static Task<long> MarkAsync(NpgsqlDataSource source, CancellationToken cancellationToken) =>
        source.ScalarAsync<long>($"update {Marker} set n = n + 1 returning n", cancellationToken);

    /// <summary>Waits until the new database has applied the source's writes up to <paramref name="mark"/>.</summary>
    public static async Task WaitMarkAsync(NpgsqlDataSource target, long mark, string name, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (await target.ScalarAsync<long>($"select coalesce(max(n), -1) from {Marker}", cancellationToken).ConfigureAwait(false) < mark)
        {
            if (waited.Elapsed > timeout)
            {
                throw new TimeoutException($"{name} did not catch up with its source within {timeout.TotalSeconds:0.#} s.");
            }

            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Ends the copy into a new database: its subscription (if any), then the slots it used on the source.</summary>
    public static async Task UnsubscribeAsync(NpgsqlDataSource target, NpgsqlDataSource source, string slot, CancellationToken cancellationToken)
    {
        uint? oid = (await target.ListAsync("select oid from pg_catalog.pg_subscription where subname = $1", r => r.GetFieldValue<uint>(0), cancellationToken, slot).ConfigureAwait(false)) is [uint found] ? found : null;
        if (oid is not null)
        {
            await target.ExecuteAsync($"alter subscription {slot} disable", cancellationToken).ConfigureAwait(false);
            await target.ExecuteAsync($"alter subscription {slot} set (slot_name = none)", cancellationToken).ConfigureAwait(false);
            await target.ExecuteAsync($"drop subscription {slot}", cancellationToken).ConfigureAwait(false);
        }

        // The walsender lets go of a slot shortly after its subscription is disabled; table copies left their own slots.
        var waited = Stopwatch.StartNew();
        while (true)
        {
            List<(string Name, bool Active)> slots = await source.ListAsync(
                "select slot_name::text, active from pg_catalog.pg_replication_slots where slot_name = $1 or ($2 <> '' and slot_name::text like 'pg\\_' || $2 || '\\_sync\\_%')",
                r => (r.GetString(0), r.GetBoolean(1)), cancellationToken, slot, oid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "").ConfigureAwait(false);
            foreach ((string name, bool active) in slots.Where(s => !s.Active))
            {
                await source.ExecuteAsync("select pg_catalog.pg_drop_replication_slot(slot_name) from pg_catalog.pg_replication_slots where slot_name = $1 and not active", cancellationToken, name).ConfigureAwait(false);
            }

            if (!slots.Any(s => s.Active))
            {
                return;
            }

            if (waited.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"Replication slot {slot} on {ReshardPlan.DatabaseName(source.ConnectionString)} is still in use 30 s after its subscription was dropped.");
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Drops the publication and the marker (a source, or a new database that got the marker with the schema).</summary>
    public static Task UnpublishAsync(NpgsqlDataSource database, string publication, CancellationToken cancellationToken) =>
        database.ExecuteAsync($"drop publication if exists {publication}; drop table if exists {Marker};", cancellationToken);

    private static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}

using Npgsql;
using NpgsqlTypes;
using PlProxy.Client.PgQ;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.PgQ;

/// <summary>
/// Writes consumed events into a queue as they were — type, data, extra1-4 and their original time — by one binary
/// <c>COPY</c> into the queue's current event table, as SkyTools' mover does (<c>pgq.bulk_insert_events</c>); the
/// table's defaults give each event a new id and the writing transaction's id. Runs inside the caller's transaction
/// (the current table is valid only there).
/// </summary>
internal static class QueueWriter
{
    public static async Task CopyAsync(NpgsqlConnection connection, string queue, IEnumerable<PgQBatchEvent> events, CancellationToken cancellationToken)
    {
        string table;
        await using (var current = new NpgsqlCommand("select pgq.current_event_table($1)", connection))
        {
            current.Parameters.Add(new NpgsqlParameter<string> { TypedValue = queue });
            try
            {
                table = (string)(await current.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            }
            catch (PostgresException e) when (e.MessageText.StartsWith("Event queue not found", StringComparison.Ordinal))
            {
                throw NoQueue("target", queue, e);
            }
        }

        await using NpgsqlBinaryImporter copy = await connection.BeginBinaryImportAsync(
            $"copy {table} (ev_time, ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3, ev_extra4) from stdin (format binary)", cancellationToken).ConfigureAwait(false);
        foreach (PgQBatchEvent @event in events)
        {
            await copy.StartRowAsync(cancellationToken).ConfigureAwait(false);
            await copy.WriteAsync(@event.Time, NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
            foreach (string? value in (string?[])[@event.Type, @event.Data, @event.Extra1, @event.Extra2, @event.Extra3, @event.Extra4])
            {
                if (value is null)
                {
                    await copy.WriteNullAsync(cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await copy.WriteAsync(value, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        await copy.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Throws, naming the queue and the side, unless <paramref name="database"/> has PgQ and the queue.</summary>
    public static async Task RequireQueueAsync(NpgsqlDataSource database, string queue, string side, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand exists = database.CreateCommand("select exists (select from pgq.queue where queue_name = $1)");
        exists.Parameters.Add(new NpgsqlParameter<string> { TypedValue = queue });
        try
        {
            if (await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
            {
                throw NoQueue(side, queue, null);
            }
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InvalidSchemaName or PostgresErrorCodes.UndefinedTable)
        {
            throw new ToolRefusal($"The {side} database has no PgQ (create extension pgq), so no queue {queue}; nothing was applied.", e);
        }
    }

    /// <summary>True when <paramref name="target"/> is <paramref name="source"/>'s database, however the two connection strings are written.</summary>
    public static async Task<bool> IsSameDatabaseAsync(NpgsqlDataSource source, NpgsqlDataSource target, CancellationToken cancellationToken) =>
        (await DatabaseIdentity.FirstOfEachAsync([source, target], cancellationToken).ConfigureAwait(false))[1] == 0;

    /// <summary>The refusal of events sent back into the queue they are read from: each batch would bring them back.</summary>
    public static ToolRefusal IntoItself(string queue) =>
        new($"The target queue is the source queue {queue}, on the same database: every event moved there would come back in a later batch, again and again; name another --target-queue or --target. Nothing was applied.");

    private static ToolRefusal NoQueue(string side, string queue, Exception? inner) =>
        new($"The {side} database has no queue {queue} (select pgq.create_queue('{queue.Replace("'", "''", StringComparison.Ordinal)}') creates it); nothing was applied.", inner);
}

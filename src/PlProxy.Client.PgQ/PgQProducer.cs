using Npgsql;

namespace PlProxy.Client.PgQ;

/// <summary>
/// Inserts events on the caller's connection, inside whatever transaction is open on it: the event exists exactly when
/// the caller's own writes commit, and vanishes with them when they roll back — PL/Proxy's answer to having no two-phase
/// commit (a consumer acts on committed events only).
/// </summary>
public static class PgQProducer
{
    /// <summary>Inserts <paramref name="event"/> into <paramref name="queue"/> in the connection's current transaction.</summary>
    /// <param name="connection">An open connection; its transaction, if one is open, is the event's.</param>
    /// <param name="queue">The queue's name.</param>
    /// <param name="event">The event.</param>
    /// <param name="cancellationToken">Cancels the insert.</param>
    /// <returns>The event's id in the queue.</returns>
    /// <exception cref="PostgresException">PgQ refused (no such queue: SQLSTATE P0001 with PgQ's message).</exception>
    public static async Task<long> InsertEventAsync(NpgsqlConnection connection, string queue, PgQEvent @event, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentException.ThrowIfNullOrEmpty(queue);
        ArgumentNullException.ThrowIfNull(@event);
        await using var command = new NpgsqlCommand("select pgq.insert_event($1, $2, $3, $4, $5, $6, $7)", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = queue });
        TextParameters.Add(command, @event.Type, @event.Data, @event.Extra1, @event.Extra2, @event.Extra3, @event.Extra4);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Inserts many events at once inside the caller's transaction: straight into the queue's current event table
    /// (<c>pgq.current_event_table</c>, valid for the transaction) with a binary <c>COPY</c>, every event with the
    /// transaction's time — as SkyTools' <c>bulk_insert_events</c> does.
    /// </summary>
    /// <param name="transaction">The caller's open transaction: the events commit or roll back with it.</param>
    /// <param name="queue">The queue's name.</param>
    /// <param name="events">The events, inserted in order.</param>
    /// <param name="cancellationToken">Cancels the insert.</param>
    /// <returns>How many events were inserted.</returns>
    public static async Task<long> InsertEventsAsync(NpgsqlTransaction transaction, string queue, IEnumerable<PgQEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentException.ThrowIfNullOrEmpty(queue);
        ArgumentNullException.ThrowIfNull(events);
        NpgsqlConnection connection = transaction.Connection ?? throw new InvalidOperationException("The transaction is completed.");
        string table;
        DateTime now;
        await using (var current = new NpgsqlCommand("select pgq.current_event_table($1), now()", connection, transaction))
        {
            current.Parameters.Add(new NpgsqlParameter<string> { TypedValue = queue });
            await using NpgsqlDataReader reader = await current.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            table = reader.GetString(0);
            now = reader.GetDateTime(1);
        }

        await using NpgsqlBinaryImporter copy = await connection.BeginBinaryImportAsync(
            $"copy {table} (ev_time, ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3, ev_extra4) from stdin (format binary)", cancellationToken).ConfigureAwait(false);
        foreach (PgQEvent @event in events)
        {
            await copy.StartRowAsync(cancellationToken).ConfigureAwait(false);
            await copy.WriteAsync(now, NpgsqlTypes.NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
            foreach (string? value in (string?[])[@event.Type, @event.Data, @event.Extra1, @event.Extra2, @event.Extra3, @event.Extra4])
            {
                if (value is null)
                {
                    await copy.WriteNullAsync(cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await copy.WriteAsync(value, NpgsqlTypes.NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        return (long)await copy.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

}

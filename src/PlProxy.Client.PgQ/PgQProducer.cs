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
        Text(command, @event.Type);
        Text(command, @event.Data);
        Text(command, @event.Extra1);
        Text(command, @event.Extra2);
        Text(command, @event.Extra3);
        Text(command, @event.Extra4);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static void Text(NpgsqlCommand command, string? value) =>
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value });
}

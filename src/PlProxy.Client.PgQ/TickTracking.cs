using Npgsql;

namespace PlProxy.Client.PgQ;

/// <summary>
/// The last tick each consumer applied to a target database (<c>plproxy_pgq.completed_tick</c>, as SkyTools' pgq_ext
/// keeps it; pgq_ext itself is not packaged), locked, read and written inside the target's transaction, so that
/// processes of one consumer applying batches at once take turns and never apply a batch twice.
/// </summary>
internal static class TickTracking
{
    /// <summary>
    /// Creates <c>plproxy_pgq.completed_tick</c> unless it exists, on its own (outside any batch's transaction): two
    /// processes creating it at the same moment both go on, the loser of PostgreSQL's catalog race finding it made.
    /// </summary>
    public static Task EnsureCreatedAsync(NpgsqlConnection target, CancellationToken cancellationToken) =>
        PgQSchema.EnsureTableAsync(target, "completed_tick", "queue_name text not null, consumer_name text not null, last_tick_id int8 not null, primary key (queue_name, consumer_name)", inTransaction: false, cancellationToken);

    /// <summary>
    /// Locks the consumer's row until the target's transaction ends and returns its last applied tick, or null when it
    /// has applied none. A row that does not exist cannot be locked, so a placeholder (tick 0, never committed as such)
    /// is inserted first: a second process's insert waits for the first's transaction, then its lock waits too. That
    /// wait is a turn, as long as the other process's batch takes, so no command timeout cuts it short (the connection
    /// string's, 30 s by default, would fail a waiting process whose peer applies a large batch); the token still does.
    /// </summary>
    public static async Task<long?> LockAsync(NpgsqlConnection target, string queue, string consumer, CancellationToken cancellationToken)
    {
        await using (NpgsqlCommand insert = Command("insert into plproxy_pgq.completed_tick values ($1, $2, 0) on conflict do nothing", target, queue, consumer))
        {
            insert.CommandTimeout = 0;
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using NpgsqlCommand select = Command("select last_tick_id from plproxy_pgq.completed_tick where queue_name = $1 and consumer_name = $2 for update", target, queue, consumer);
        select.CommandTimeout = 0;
        long tick = (long)(await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        return tick == 0 ? null : tick;
    }

    /// <summary>Records <paramref name="tick"/> as the consumer's last applied tick (its row locked by <see cref="LockAsync"/>).</summary>
    public static async Task RecordAsync(NpgsqlConnection target, string queue, string consumer, long tick, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand update = Command("update plproxy_pgq.completed_tick set last_tick_id = $3 where queue_name = $1 and consumer_name = $2 and last_tick_id < $3", target, queue, consumer);
        update.Parameters.Add(new NpgsqlParameter<long> { TypedValue = tick });
        if (await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
        {
            throw new InvalidOperationException($"plproxy_pgq.completed_tick of consumer {consumer} of queue {queue} is not locked below tick {tick}: nothing was recorded.");
        }
    }

    private static NpgsqlCommand Command(string sql, NpgsqlConnection target, string queue, string consumer)
    {
        var command = new NpgsqlCommand(sql, target);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = queue });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = consumer });
        return command;
    }
}

using Npgsql;

namespace PlProxy.Client.PgQ;

/// <summary>Events a hosted consumer gave up on (<c>plproxy_pgq.dead_letter</c>), written in the batch's transaction.</summary>
internal static class DeadLetters
{
    public static async Task AddAsync(NpgsqlConnection connection, string queue, string consumer, PgQBatchEvent @event, Exception error, CancellationToken cancellationToken)
    {
        await PgQSchema.EnsureTableAsync(connection, "dead_letter", """
            queue_name text not null, consumer_name text not null, ev_id int8 not null, ev_time timestamptz not null,
            ev_retry int4, ev_type text, ev_data text, ev_extra1 text, ev_extra2 text, ev_extra3 text, ev_extra4 text,
            error text not null, failed_at timestamptz not null default now(),
            primary key (queue_name, consumer_name, ev_id)
            """, inTransaction: true, cancellationToken).ConfigureAwait(false);

        await using var insert = new NpgsqlCommand("""
            insert into plproxy_pgq.dead_letter (queue_name, consumer_name, ev_id, ev_time, ev_retry, ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3, ev_extra4, error)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            on conflict do nothing
            """, connection);
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = queue });
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = consumer });
        insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = @event.Id });
        insert.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = @event.Time });
        insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer, Value = (object?)@event.Retry ?? DBNull.Value });
        TextParameters.Add(insert, @event.Type, @event.Data, @event.Extra1, @event.Extra2, @event.Extra3, @event.Extra4);

        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = $"{error.GetType().Name}: {error.Message}" });
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}

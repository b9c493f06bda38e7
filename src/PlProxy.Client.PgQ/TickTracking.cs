using Npgsql;

namespace PlProxy.Client.PgQ;

/// <summary>
/// The last tick each consumer applied to a target database (<c>plproxy_pgq.completed_tick</c>, as SkyTools' pgq_ext
/// keeps it; pgq_ext itself is not packaged), read and written inside the target's transaction.
/// </summary>
internal static class TickTracking
{
    public static async Task<long?> LastTickAsync(NpgsqlConnection target, string queue, string consumer, CancellationToken cancellationToken)
    {
        await using (var create = new NpgsqlCommand("""
            create schema if not exists plproxy_pgq;
            create table if not exists plproxy_pgq.completed_tick (
                queue_name text not null, consumer_name text not null, last_tick_id int8 not null,
                primary key (queue_name, consumer_name));
            """, target))
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var select = new NpgsqlCommand("select last_tick_id from plproxy_pgq.completed_tick where queue_name = $1 and consumer_name = $2 for update", target);
        select.Parameters.Add(new NpgsqlParameter<string> { TypedValue = queue });
        select.Parameters.Add(new NpgsqlParameter<string> { TypedValue = consumer });
        return await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as long?;
    }

    public static async Task RecordAsync(NpgsqlConnection target, string queue, string consumer, long tick, CancellationToken cancellationToken)
    {
        await using var upsert = new NpgsqlCommand("""
            insert into plproxy_pgq.completed_tick (queue_name, consumer_name, last_tick_id) values ($1, $2, $3)
            on conflict (queue_name, consumer_name) do update set last_tick_id = excluded.last_tick_id
            """, target);
        upsert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = queue });
        upsert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = consumer });
        upsert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = tick });
        await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}

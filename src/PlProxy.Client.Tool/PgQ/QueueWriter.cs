using Npgsql;
using PlProxy.Client.PgQ;

namespace PlProxy.Client.Tool.PgQ;

/// <summary>Writes a consumed event into a queue as it was: type, data, extra1-4 and its original time (<c>pgq.insert_event_raw</c>).</summary>
internal static class QueueWriter
{
    public static async Task InsertAsync(NpgsqlConnection connection, string queue, PgQBatchEvent @event, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand("select pgq.insert_event_raw($1, null, $2, null, null, $3, $4, $5, $6, $7, $8)", connection);
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = queue });
        insert.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = @event.Time });
        foreach (string? value in (string?[])[@event.Type, @event.Data, @event.Extra1, @event.Extra2, @event.Extra3, @event.Extra4])
        {
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value });
        }

        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}

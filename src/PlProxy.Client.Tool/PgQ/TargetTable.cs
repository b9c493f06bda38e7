using System.Text.Json.Nodes;
using Npgsql;
using PlProxy.Client.Language;

namespace PlProxy.Client.Tool.PgQ;

/// <summary>A dispatcher's table on the target database: its quoted name, its creation on demand, a row inserted into it.</summary>
internal static class TargetTable
{
    /// <summary>
    /// Creates <paramref name="table"/> (quoted) with <paramref name="create"/> unless it exists — in the batch's
    /// transaction on the target, so it goes if the batch does.
    /// </summary>
    public static async Task EnsureAsync(NpgsqlConnection target, string table, string create, CancellationToken cancellationToken)
    {
        await using var exists = new NpgsqlCommand("select to_regclass($1) is not null", target);
        exists.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table });
        if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
        {
            await using var command = new NpgsqlCommand(create, target);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Inserts a row given as column → text (or null); PostgreSQL converts each value to its column's type.</summary>
    public static async Task InsertAsync(NpgsqlConnection target, string table, JsonObject row, CancellationToken cancellationToken)
    {
        string columns = string.Join(", ", row.Select(p => SqlNames.QuoteIdentifier(p.Key)));
        await using var insert = new NpgsqlCommand($"insert into {table} ({columns}) select {columns} from json_populate_record(null::{table}, $1::json)", target);
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.ToJsonString() });
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}

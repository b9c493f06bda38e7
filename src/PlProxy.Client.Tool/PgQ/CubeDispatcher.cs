using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;
using PlProxy.Client.Language;
using PlProxy.Client.PgQ;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.PgQ;

/// <summary>
/// SkyTools' cube dispatcher: logutriga's rows into per-batch-day tables named after the event's table (<c>ev_extra1</c>,
/// schema included) plus <c>_</c> and the batch's date (an empty date format: the table of the same name), each
/// created on demand from that table. keep-latest keeps only each primary key's latest version (delete, then insert;
/// a delete event removes the key's row); keep-all inserts every version and rejects deletes.
/// </summary>
internal sealed class CubeDispatcher(bool keepLatest, string dateFormat, SourceTimeZone? sourceZone = null)
{
    public async Task ApplyAsync(PgQBatch batch, PgQBatchEvent @event, NpgsqlConnection target, CancellationToken cancellationToken)
    {
        string baseTable = @event.Extra1 ?? throw new ToolRefusal($"Event {@event.Id} names no table (ev_extra1): it is not a logutriga row.");
        (char operation, string[] keys) = Operation(@event);
        // The batch's end on the source's clock, as SkyTools' to_char(batch_end, ...) there gives it.
        string table = dateFormat.Length == 0 ? SqlNames.QuoteQualified(baseTable)
            : SqlNames.QuoteQualified(baseTable + "_" + Date(sourceZone is null ? batch.TickTime : await sourceZone.LocalAsync(batch.TickTime, cancellationToken).ConfigureAwait(false)));
        if (dateFormat.Length > 0)
        {
            await TargetTable.EnsureAsync(target, table, $"create table {table} (like {SqlNames.QuoteQualified(baseTable)} including all)", cancellationToken).ConfigureAwait(false);
        }

        var row = new JsonObject();
        foreach ((string column, string? value) in PgQUrlEncoding.Decode(@event.Data ?? ""))
        {
            row[column] = value is null ? null : JsonValue.Create(value);
        }

        if (operation == 'D' && !keepLatest)
        {
            throw new ToolRefusal($"Event {@event.Id} deletes from {baseTable}: keep-all keeps every version and cannot apply a delete.");
        }

        if (keepLatest)
        {
            if (keys.Length == 0)
            {
                throw new ToolRefusal($"Event {@event.Id} of {baseTable} has no primary key in its type '{@event.Type}': keep-latest needs one.");
            }

            await using var delete = new NpgsqlCommand(
                $"delete from {table} t using json_populate_record(null::{table}, $1::json) r where {string.Join(" and ", keys.Select(k => $"t.{SqlNames.QuoteIdentifier(k)} = r.{SqlNames.QuoteIdentifier(k)}"))}", target);
            delete.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.ToJsonString() });
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (operation != 'D')
        {
            await TargetTable.InsertAsync(target, table, row, cancellationToken).ConfigureAwait(false);
        }
    }

    // logutriga's type: "I:id", "U:id,region", "D:id" — the operation and the primary key's columns.
    private static (char Operation, string[] Keys) Operation(PgQBatchEvent @event)
    {
        string type = @event.Type ?? "";
        if (type.Length == 0 || type[0] is not ('I' or 'U' or 'D'))
        {
            throw new ToolRefusal($"Event {@event.Id} has type '{type}': the cube dispatcher applies logutriga's I, U and D rows.");
        }

        int colon = type.IndexOf(':', StringComparison.Ordinal);
        return (type[0], colon < 0 ? [] : type[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    // --date-format in SkyTools' tokens: YYYY, MM, DD.
    private string Date(DateTime tickTime) =>
        dateFormat.Replace("YYYY", tickTime.ToString("yyyy", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("MM", tickTime.ToString("MM", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("DD", tickTime.ToString("dd", CultureInfo.InvariantCulture), StringComparison.Ordinal);
}

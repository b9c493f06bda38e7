using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;
using PlProxy.Client.Language;
using PlProxy.Client.PgQ;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.PgQ;

/// <summary>
/// SkyTools' table dispatcher: the urlencoded row of every event (logutriga's inserts, updates and deletes alike: a log
/// of row versions) into per-period tables of a parent table (<c>&lt;table&gt;_YYYY_MM_DD</c> or <c>_YYYY_MM</c>),
/// each created on demand from the parent (or a template), the period taken from a column of the row or from the
/// event's time; optionally only some columns, renamed, and only some event types.
/// </summary>
internal sealed class TableDispatcher(string destTable, string? partField, bool monthly, IReadOnlyList<(string From, string To)>? fields, string? partTemplate, IReadOnlySet<string>? eventTypes = null)
{
    /// <summary>Parses <c>--event-types "I,U"</c>: the operations (logutriga's type up to its ':') to write; null for all.</summary>
    public static IReadOnlySet<string>? EventTypes(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);

    /// <summary>Parses <c>--fields "a, b:newname"</c>.</summary>
    public static IReadOnlyList<(string From, string To)>? Fields(string? text) =>
        string.IsNullOrWhiteSpace(text) || text.Trim() == "*"
            ? null
            : [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(f => f.Split(':', 2, StringSplitOptions.TrimEntries)).Select(p => (p[0], p.Length > 1 ? p[1] : p[0]))];

    public async Task ApplyAsync(PgQBatch batch, PgQBatchEvent @event, NpgsqlConnection target, CancellationToken cancellationToken)
    {
        if (eventTypes is not null && !eventTypes.Contains((@event.Type ?? "").Split(':', 2)[0]))
        {
            return; // a type the dispatcher was told to leave out
        }

        IReadOnlyList<KeyValuePair<string, string?>> row = PgQUrlEncoding.Decode(@event.Data ?? "");
        DateTime when = partField is null
            ? @event.Time
            : DateTime.Parse(row.FirstOrDefault(c => c.Key == partField).Value
                ?? throw new ToolRefusal($"Event {@event.Id} has no value for --part-field {partField}."), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        string table = TableName(when);
        await TargetTable.EnsureAsync(target, table, partTemplate is null
            ? $"create table {table} (like {SqlNames.QuoteQualified(destTable)} including all)"
            : partTemplate.Replace("_DEST_TABLE", table, StringComparison.Ordinal).Replace("_PARENT", SqlNames.QuoteQualified(destTable), StringComparison.Ordinal),
            cancellationToken).ConfigureAwait(false);

        var json = new JsonObject();
        foreach ((string from, string to) in fields ?? [.. row.Select(c => (c.Key, c.Key))])
        {
            json[to] = row.FirstOrDefault(c => c.Key == from).Value is { } value ? JsonValue.Create(value) : null;
        }

        await TargetTable.InsertAsync(target, table, json, cancellationToken).ConfigureAwait(false);
    }

    private string TableName(DateTime when)
    {
        string suffix = monthly ? when.ToString("_yyyy_MM", CultureInfo.InvariantCulture) : when.ToString("_yyyy_MM_dd", CultureInfo.InvariantCulture);
        int dot = destTable.LastIndexOf('.');
        return dot < 0 ? SqlNames.QuoteIdentifier(destTable + suffix) : $"{SqlNames.QuoteIdentifier(destTable[..dot])}.{SqlNames.QuoteIdentifier(destTable[(dot + 1)..] + suffix)}";
    }
}

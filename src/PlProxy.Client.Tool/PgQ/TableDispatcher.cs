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
internal sealed class TableDispatcher(string destTable, string? partField, bool monthly, IReadOnlyList<(string From, string To)>? fields, string? partTemplate, IReadOnlySet<string>? eventTypes = null, SourceTimeZone? sourceZone = null)
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
        // As SkyTools does: the date part of the value's text as the source database wrote it (a timestamptz in the
        // source's time zone, not converted), or of the event's time as the source's session shows it.
        string date = partField is null
            ? (sourceZone is null ? @event.Time : await sourceZone.LocalAsync(@event.Time, cancellationToken).ConfigureAwait(false)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : row.FirstOrDefault(c => c.Key == partField).Value ?? throw new ToolRefusal($"Event {@event.Id} has no value for --part-field {partField}.");
        string table = TableName(date, @event.Id);
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

    // The table of a date written YYYY-MM-DD (what follows a space or a T, a time and its zone, is not part of it).
    private string TableName(string date, long eventId)
    {
        string[] parts = date.Split(' ', 'T')[0].Split('-');
        if (parts is not [{ Length: >= 4 } year, { Length: 2 } month, { Length: 2 } day] || !$"{year}{month}{day}".All(char.IsAsciiDigit))
        {
            throw new ToolRefusal($"Event {eventId}: its --part-field {partField} is '{date}', which does not start with a date written YYYY-MM-DD (the source's DateStyle must be ISO); nothing was applied.");
        }

        string suffix = monthly ? $"_{year}_{month}" : $"_{year}_{month}_{day}";
        int dot = destTable.LastIndexOf('.');
        return dot < 0 ? SqlNames.QuoteIdentifier(destTable + suffix) : $"{SqlNames.QuoteIdentifier(destTable[..dot])}.{SqlNames.QuoteIdentifier(destTable[(dot + 1)..] + suffix)}";
    }
}

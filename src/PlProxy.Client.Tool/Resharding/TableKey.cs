using Npgsql;
using PlProxy.Client.Language;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>
/// A copied table's key: its primary key's columns (else its replica identity index's) in index order with their
/// types, and the table's name as logical decoding prints it (<c>schema.table</c>, each part quoted as needed).
/// </summary>
/// <param name="Table">The table as the tool names it (<c>regclass</c> text).</param>
/// <param name="Qualified">The table as <c>test_decoding</c> names it.</param>
/// <param name="Columns">The key's columns and their types.</param>
internal sealed record TableKey(string Table, string Qualified, IReadOnlyList<(string Name, string Type)> Columns)
{
    /// <summary>The key's columns of the alias <c>t</c>, quoted: <c>t."id", t."n"</c>.</summary>
    public string ColumnsOf(string alias) => string.Join(", ", Columns.Select(k => $"{alias}.{SqlNames.QuoteIdentifier(k.Name)}"));

    /// <summary>The key of a row of the alias <c>t</c> as one text (columns joined by <c>|</c>), as the diff reports it.</summary>
    public string TextOf(string alias) => Columns.Count == 1
        ? $"{alias}.{SqlNames.QuoteIdentifier(Columns[0].Name)}::text"
        : $"concat_ws('|', {string.Join(", ", Columns.Select(k => $"{alias}.{SqlNames.QuoteIdentifier(k.Name)}::text"))})";

    public static async Task<TableKey> ReadAsync(NpgsqlDataSource database, string table, CancellationToken cancellationToken)
    {
        List<(string Name, string Type, string Qualified)> columns = await database.ListAsync("""
            select a.attname, format_type(a.atttypid, a.atttypmod), quote_ident(n.nspname) || '.' || quote_ident(c.relname)
            from pg_catalog.pg_index i
            join pg_catalog.pg_class c on c.oid = i.indrelid
            join pg_catalog.pg_namespace n on n.oid = c.relnamespace
            join lateral unnest(i.indkey) with ordinality k(attnum, n) on true
            join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
            where i.indrelid = $1::regclass
              and i.indexrelid = (select x.indexrelid from pg_catalog.pg_index x where x.indrelid = $1::regclass and (x.indisprimary or x.indisreplident) order by x.indisprimary desc limit 1)
            order by k.n
            """, r => (r.GetString(0), r.GetString(1), r.GetString(2)), cancellationToken, table).ConfigureAwait(false);
        return columns.Count > 0
            ? new TableKey(table, columns[0].Qualified, [.. columns.Select(c => (c.Name, c.Type))])
            : throw new Verbs.ToolRefusal($"{table} has neither a primary key nor a replica identity index: its copy cannot be compared row by row.");
    }
}

using Npgsql;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>
/// Where a <c>plproxy diff</c> got to, per copy and table (<c>plproxy_tool.diff_progress</c>, beside the operation's
/// record): the last key of the last chunk compared and the counts so far, saved after every chunk, so that
/// <c>plproxy diff --resume</c> goes on after the last chunk a stopped diff finished instead of starting over. A diff
/// without <c>--resume</c> forgets what an earlier one saved; the record goes with the operation's.
/// </summary>
internal sealed class DiffProgress(string store, string cluster) : IAsyncDisposable
{
    // One pool for the whole diff: progress is saved after every chunk.
    private readonly NpgsqlDataSource _database = ToolDatabase.Create(store);

    /// <summary>What an earlier diff saved, by copy and table (empty when none, or when starting over).</summary>
    public async Task<Dictionary<(string Copy, string Table), (string[]? LastKey, bool Done, TableDiff Counts)>> StartAsync(bool resume, CancellationToken cancellationToken)
    {
        await ToolSchema.EnsureAsync(_database, """
            create schema if not exists plproxy_tool;
            create table if not exists plproxy_tool.diff_progress (
                cluster_name text not null, copy text not null, table_name text not null, last_key text[], done boolean not null,
                rows int8 not null, missing int8 not null, extra int8 not null, different int8 not null,
                primary key (cluster_name, copy, table_name));
            """, cancellationToken).ConfigureAwait(false);
        if (!resume)
        {
            await _database.ExecuteAsync("delete from plproxy_tool.diff_progress where cluster_name = $1", cancellationToken, cluster).ConfigureAwait(false);
            return [];
        }

        List<(string, string, string[]?, bool, TableDiff)> saved = await _database.ListAsync(
            "select copy, table_name, last_key, done, rows, missing, extra, different from plproxy_tool.diff_progress where cluster_name = $1",
            r => (r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetFieldValue<string[]>(2), r.GetBoolean(3),
                new TableDiff(r.GetString(1)) { Rows = r.GetInt64(4), Missing = r.GetInt64(5), Extra = r.GetInt64(6), Different = r.GetInt64(7) }),
            cancellationToken, cluster).ConfigureAwait(false);
        return saved.ToDictionary(s => (s.Item1, s.Item2), s => (s.Item3, s.Item4, s.Item5));
    }

    /// <summary>Saves a table's progress after a chunk: its last key (null with <paramref name="done"/> once the table is compared) and its counts.</summary>
    public async Task SaveAsync(string copy, TableDiff counts, string[]? lastKey, bool done, CancellationToken cancellationToken)
    {
        await _database.ExecuteAsync("""
            insert into plproxy_tool.diff_progress values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            on conflict (cluster_name, copy, table_name) do update set last_key = excluded.last_key, done = excluded.done,
                rows = excluded.rows, missing = excluded.missing, extra = excluded.extra, different = excluded.different
            """, cancellationToken, cluster, copy, counts.Table, (object?)lastKey ?? DBNull.Value, done, counts.Rows, counts.Missing, counts.Extra, counts.Different).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _database.DisposeAsync();
}

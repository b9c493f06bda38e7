using System.Diagnostics;
using Npgsql;
using PlProxy.Client.Language;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>
/// Compares the rows a source database hands to a new one (those a predicate selects) with their copy, as Vitess'
/// VDiff does: by chunks of keys in primary-key order, each chunk's count and checksum (the sum of every row's
/// <c>hashtextextended(row::text)</c>) read on both sides; only a chunk whose checksums differ is read row by row, to
/// name what is missing, extra or different. Before the fence a copy trails its source by its replication lag and the
/// source keeps changing, so a chunk that differs is read again after the copy has caught up with the source
/// (<paramref name="catchUp"/>), up to three times; under the fence (nothing moving changes) one reading is exact.
/// </summary>
/// <param name="source">The source database.</param>
/// <param name="target">The new database.</param>
/// <param name="catchUp">Waits until the new database has applied every write the source committed before the call.</param>
/// <param name="chunkRows">Rows per chunk; 0 for one chunk per table.</param>
/// <param name="rowsPerSecond">At most this many rows read per second on each side (0: as fast as the servers go).</param>
internal sealed class CopyDiff(NpgsqlDataSource source, NpgsqlDataSource target, Func<CancellationToken, Task> catchUp, int chunkRows = 10_000, int rowsPerSecond = 0)
{
    private const int Readings = 3;
    private const int Samples = 5;
    private const int KeysPerStatement = 10_000;

    /// <summary>
    /// Compares the rows of <paramref name="key"/>'s table that <paramref name="moving"/> (SQL over the alias <c>t</c>) selects;
    /// from after <paramref name="resumeAfter"/> (the last key a stopped diff finished, its counts in
    /// <paramref name="resumed"/>) when given; <paramref name="chunkDone"/> hears each chunk's last key (null: the table is done).
    /// </summary>
    public async Task<TableDiff> CompareAsync(TableKey key, string moving, CancellationToken cancellationToken, string[]? resumeAfter = null, TableDiff? resumed = null, Func<TableDiff, string[]?, Task>? chunkDone = null)
    {
        string table = key.Table;
        IReadOnlyList<(string Name, string Type)> keys = key.Columns;
        string columns = key.ColumnsOf("t");
        string keyText = key.TextOf("t");

        // The chunks' upper bounds on the source, every chunkRows-th key of the moving rows in key order (none: one chunk).
        (string after, object[] afterParameters) = Range(keys, resumeAfter, null);
        List<string[]> bounds = chunkRows <= 0 ? [] : await source.ListAsync(
            $"select k from (select array[{string.Join(", ", keys.Select(k => $"t.{SqlNames.QuoteIdentifier(k.Name)}::text"))}] k, row_number() over (order by {columns}) n from {table} t where {moving}{after}) s where n % {chunkRows} = 0 order by n",
            r => r.GetFieldValue<string[]>(0), cancellationToken, afterParameters).ConfigureAwait(false);
        var result = resumed ?? new TableDiff(table);
        long resumedRows = result.Rows;
        var clock = Stopwatch.StartNew();
        for (int chunk = 0; chunk <= bounds.Count; chunk++)
        {
            string[]? low = chunk == 0 ? resumeAfter : bounds[chunk - 1];
            string[]? high = chunk == bounds.Count ? null : bounds[chunk];
            (string where, object[] parameters) = Range(keys, low, high);
            string sql = $"select count(*), coalesce(sum(hashtextextended(t::text, 0)::numeric), 0) from {table} t where {moving}{where}";
            bool equal = false;
            long rows = 0;
            for (int reading = 0; reading < Readings && !equal; reading++)
            {
                (long Count, decimal Sum) onSource = await AggregateAsync(source, sql, parameters, cancellationToken).ConfigureAwait(false);
                if (reading > 0)
                {
                    await catchUp(cancellationToken).ConfigureAwait(false); // the copy now holds at least what the source showed
                }

                (long Count, decimal Sum) onTarget = await AggregateAsync(target, sql, parameters, cancellationToken).ConfigureAwait(false);
                equal = onSource == onTarget;
                rows = onSource.Count;
            }

            if (!equal)
            {
                string rowsSql = $"select {keyText}, hashtextextended(t::text, 0) from {table} t where {moving}";
                _ = await DetailAsync(result, rowsSql + where, parameters, rowsSql + $" and {keyText} = any(${parameters.Length + 1})", cancellationToken).ConfigureAwait(false);
            }

            result.Rows += rows;
            if (chunkDone is not null)
            {
                await chunkDone(result, high).ConfigureAwait(false);
            }

            if (rowsPerSecond > 0)
            {
                TimeSpan due = TimeSpan.FromSeconds((double)(result.Rows - resumedRows) / rowsPerSecond);
                if (due > clock.Elapsed)
                {
                    await Task.Delay(due - clock.Elapsed, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        result.Elapsed = clock.Elapsed;
        return result;
    }

    /// <summary>
    /// Compares only the rows of <paramref name="table"/> with the given <paramref name="keys"/> (each its columns
    /// joined by <see cref="ChangedKeys.Separator"/>) that <paramref name="moving"/> selects, row by row: the rows
    /// written since an earlier comparison. A key that disagrees is read again after the copy caught up, as in a chunk.
    /// </summary>
    public async Task<TableDiff> CompareKeysAsync(TableKey table, string moving, IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        var result = new TableDiff(table.Table);
        if (keys.Count == 0)
        {
            return result;
        }

        var clock = Stopwatch.StartNew();
        string unnested = string.Join(", ", table.Columns.Select((_, i) => $"${i + 1}::text[]"));
        string typed = string.Join(", ", table.Columns.Select((c, i) => $"u.k{i}::{c.Type}"));
        string names = string.Join(", ", table.Columns.Select((_, i) => $"k{i}"));
        string keyText = table.TextOf("t");
        string rowsSql = $"select {keyText}, hashtextextended(t::text, 0) from {table.Table} t where {moving} and ({table.ColumnsOf("t")}) in (select {typed} from unnest({unnested}) u({names}))";
        foreach (string[] batch in keys.Chunk(KeysPerStatement))
        {
            string[][] split = [.. batch.Select(k => k.Split(ChangedKeys.Separator))];
            object[] parameters = [.. table.Columns.Select((_, i) => split.Select(k => k[i]).ToArray())];
            result.Rows += await DetailAsync(result, rowsSql, parameters, rowsSql + $" and {keyText} = any(${parameters.Length + 1})", cancellationToken).ConfigureAwait(false);
        }

        result.Elapsed = clock.Elapsed;
        return result;
    }

    // The rows of a chunk that differs, by key, on both sides: what the copy lacks, has extra, or holds otherwise. The
    // source keeps changing while the copy follows it, so a key that disagrees is read again on both sides (the copy
    // caught up with the source's new reading) until it agrees or has disagreed at every reading: only then is it a
    // difference. Under the fence the moving rows stand still and the first reading is final.
    // Returns the rows the source showed at the first reading.
    private async Task<int> DetailAsync(TableDiff result, string sql, object[] parameters, string byKeys, CancellationToken cancellationToken)
    {
        Dictionary<string, long> onSource = await RowsAsync(source, sql, parameters, cancellationToken).ConfigureAwait(false);
        int rows = onSource.Count;
        await catchUp(cancellationToken).ConfigureAwait(false);
        Dictionary<string, long> onTarget = await RowsAsync(target, sql, parameters, cancellationToken).ConfigureAwait(false);
        string[] disagreeing = Disagreeing(onSource, onTarget);
        for (int reading = 1; reading < Readings && disagreeing.Length > 0; reading++)
        {
            object[] withKeys = [.. parameters, disagreeing];
            onSource = await RowsAsync(source, byKeys, withKeys, cancellationToken).ConfigureAwait(false);
            await catchUp(cancellationToken).ConfigureAwait(false);
            onTarget = await RowsAsync(target, byKeys, withKeys, cancellationToken).ConfigureAwait(false);
            disagreeing = Disagreeing(onSource, onTarget);
        }

        foreach (string key in disagreeing.Order(StringComparer.Ordinal))
        {
            if (!onTarget.TryGetValue(key, out long copied))
            {
                result.Missing++;
                Sample(result.MissingKeys, key);
            }
            else if (!onSource.TryGetValue(key, out long hash))
            {
                result.Extra++;
                Sample(result.ExtraKeys, key);
            }
            else if (copied != hash)
            {
                result.Different++;
                Sample(result.DifferentKeys, key);
            }
        }

        return rows;
    }

    private static string[] Disagreeing(Dictionary<string, long> onSource, Dictionary<string, long> onTarget) =>
        [.. onSource.Where(s => !onTarget.TryGetValue(s.Key, out long copied) || copied != s.Value).Select(s => s.Key)
            .Concat(onTarget.Keys.Where(k => !onSource.ContainsKey(k)))];

    private static void Sample(List<string> keys, string key)
    {
        if (keys.Count < Samples)
        {
            keys.Add(key);
        }
    }

    private static async Task<(long, decimal)> AggregateAsync(NpgsqlDataSource database, string sql, object[] parameters, CancellationToken cancellationToken) =>
        (await database.ListAsync(sql, r => (r.GetInt64(0), r.GetDecimal(1)), cancellationToken, parameters).ConfigureAwait(false))[0];

    private static async Task<Dictionary<string, long>> RowsAsync(NpgsqlDataSource database, string sql, object[] parameters, CancellationToken cancellationToken) =>
        (await database.ListAsync(sql, r => (Key: r.GetString(0), Hash: r.GetInt64(1)), cancellationToken, parameters).ConfigureAwait(false))
            .ToDictionary(r => r.Key, r => r.Hash, StringComparer.Ordinal);

    // The chunk (low, high] as a condition on the key columns, compared as rows of their own types.
    private static (string Where, object[] Parameters) Range(IReadOnlyList<(string Name, string Type)> keys, string[]? low, string[]? high)
    {
        var parameters = new List<object>();
        string Row(string[] bound) => $"({string.Join(", ", bound.Select((value, i) =>
        {
            parameters.Add(value);
            return $"${parameters.Count}::text::{keys[i].Type}";
        }))})";
        string columns = $"({string.Join(", ", keys.Select(k => $"t.{SqlNames.QuoteIdentifier(k.Name)}"))})";
        string where = (low is null ? "" : $" and {columns} > {Row(low)}") + (high is null ? "" : $" and {columns} <= {Row(high)}");
        return (where, [.. parameters]);
    }
}

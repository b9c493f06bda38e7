using Npgsql;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>
/// The diff: every moving row of every copied table of every new database compared with its source by chunked
/// checksums (<see cref="CopyDiff"/>) — by <c>plproxy diff</c> while the copies replicate, and by the switch under the
/// fence, which refuses a copy that differs.
/// </summary>
internal sealed partial class Resharder
{
    /// <summary>
    /// Compares each new database's copy with its source, table by table, up to four copies at once;
    /// <paramref name="report"/> hears each table as it is done. <paramref name="chunkRows"/> 0 compares each table
    /// in one chunk (under the fence: one scan per side, the shortest pause).
    /// </summary>
    public async Task<List<(ReshardTarget Target, TableDiff Diff)>> DiffAsync(int chunkRows, int rowsPerSecond, Func<ReshardTarget, TableDiff, Task>? report, CancellationToken cancellationToken, DiffProgress? progress = null, bool resume = false)
    {
        Dictionary<(string Copy, string Table), (string[]? LastKey, bool Done, TableDiff Counts)> saved =
            progress is null ? [] : await progress.StartAsync(resume, cancellationToken).ConfigureAwait(false);
        List<(ReshardTarget Target, TableKey Table, string Moving)> compared = await ComparedTablesAsync(cancellationToken).ConfigureAwait(false);

        using var parallel = new SemaphoreSlim(4);
        List<(ReshardTarget, TableDiff)>[] byTarget = await Task.WhenAll(plan.Targets.Select(async target =>
        {
            await parallel.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await DiffCopyAsync(target, compared.Where(c => c.Target == target), chunkRows, rowsPerSecond, report, progress, saved, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                parallel.Release();
            }
        })).ConfigureAwait(false);
        return [.. byTarget.SelectMany(tables => tables.OrderBy(t => t.Item2.Table, StringComparer.Ordinal))]; // in the plan's order of copies
    }

    private async Task<List<(ReshardTarget, TableDiff)>> DiffCopyAsync(
        ReshardTarget target, IEnumerable<(ReshardTarget Target, TableKey Table, string Moving)> tables, int chunkRows, int rowsPerSecond, Func<ReshardTarget, TableDiff, Task>? report,
        DiffProgress? progress, Dictionary<(string Copy, string Table), (string[]? LastKey, bool Done, TableDiff Counts)> saved, CancellationToken cancellationToken)
    {
        var found = new List<(ReshardTarget, TableDiff)>();
        NpgsqlDataSource source = Database(target.Source.ConnectionString);
        NpgsqlDataSource copy = Database(target.ConnectionString);
        var diff = new CopyDiff(source, copy, token => CaughtUpAsync(target, token), chunkRows, rowsPerSecond);
        foreach ((_, TableKey table, string moving) in tables)
        {
            TableDiff result;
            if (saved.TryGetValue((target.Name, table.Table), out var earlier) && earlier.Done)
            {
                result = earlier.Counts; // compared to its end by the diff this one resumes
            }
            else
            {
                result = await diff.CompareAsync(
                    table, moving, cancellationToken, earlier.LastKey, earlier.Counts,
                    progress is null ? null : (counts, lastKey) => progress.SaveAsync(target.Name, counts, lastKey, done: lastKey is null, cancellationToken)).ConfigureAwait(false);
            }

            found.Add((target, result));
            if (report is not null)
            {
                await report(target, result).ConfigureAwait(false);
            }
        }

        return found;
    }

    // Each table a new database copies — those partconf partitions, and the others its source publishes (reference
    // tables, copied whole) — with its key and the predicate (SQL over the alias t) of the rows the copy takes. Read
    // once per run: the publications are fixed once the copies started, and the fence then reads no catalog.
    private async Task<List<(ReshardTarget Target, TableKey Table, string Moving)>> ComparedTablesAsync(CancellationToken cancellationToken)
    {
        if (_compared is not null)
        {
            return _compared;
        }

        var compared = new List<(ReshardTarget, TableKey, string)>();
        foreach (ReshardSource source in plan.Sources)
        {
            NpgsqlDataSource database = Database(source.ConnectionString);
            SourceTables tables = await SourceTables.ReadAsync(database, cancellationToken).ConfigureAwait(false);
            List<string> published = await database.ListAsync(
                "select r.prrelid::regclass::text from pg_catalog.pg_publication_rel r join pg_catalog.pg_publication p on p.oid = r.prpubid where p.pubname = $1",
                r => r.GetString(0), cancellationToken, plan.Publication).ConfigureAwait(false);
            var keys = new Dictionary<string, TableKey>(StringComparer.Ordinal);
            foreach (ReshardTarget target in plan.Targets.Where(t => t.Source == source))
            {
                IEnumerable<(string Table, string Moving)> copied = tables.Partitioned
                    .Select(t => (t.Table, t.BelongsTo("t", target.Settings)))
                    .Concat(tables.Others.Where(t => published.Contains(t, StringComparer.Ordinal)).Select(t => (t, "true")));
                foreach ((string table, string moving) in copied)
                {
                    if (!keys.TryGetValue(table, out TableKey? key))
                    {
                        key = await TableKey.ReadAsync(database, table, cancellationToken).ConfigureAwait(false);
                        keys.Add(table, key);
                    }

                    compared.Add((target, key, moving));
                }
            }
        }

        return _compared = compared;
    }

    // Waits until a new database has applied every write its source committed before now.
    private async Task CaughtUpAsync(ReshardTarget target, CancellationToken cancellationToken)
    {
        long mark = await LogicalCopy.MarkAsync(Database(target.Source.ConnectionString), cancellationToken).ConfigureAwait(false);
        await LogicalCopy.WaitMarkAsync(Database(target.ConnectionString), mark, target.Name, settings.CatchUpTimeout, cancellationToken).ConfigureAwait(false);
    }

    // A copy that differs is not switched to. Before the fence the copies are compared chunk by chunk (a difference
    // read again once the copy has caught up), then the rows written meanwhile, by their recorded keys; under the fence
    // nothing moving changes, so one reading is exact: of the rows written since the last comparison when their keys
    // were recorded (Resharder.Recheck), else of every moving row, one checksum per table.
    private async Task VerifyCopiesAsync(bool underFence, CancellationToken cancellationToken)
    {
        if (underFence && await RecheckUnderFenceAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        List<(ReshardTarget Target, TableDiff Diff)> found = await DiffAsync(chunkRows: underFence ? 0 : 10_000, rowsPerSecond: 0, report: null, cancellationToken).ConfigureAwait(false);
        RefuseDifferences(found);
        await SayAsync(underFence ? "fence" : "compare", $"copies compared: {found.Sum(f => f.Diff.Rows)} moving rows of {found.Count} table copies equal their sources (checksums{(underFence ? ", under the fence" : ", by chunks of keys")})").ConfigureAwait(false);
    }

    private void RefuseDifferences(List<(ReshardTarget Target, TableDiff Diff)> found)
    {
        string[] differences = [.. found.Where(f => !f.Diff.Equal).Select(f => f.Diff.Describe($"{f.Target.Name} (partition {string.Join(", ", f.Target.Settings.Partitions)})"))];
        if (differences.Length > 0)
        {
            throw Verbs.ToolRefusal.CheckFailed($"The copies differ from their sources, so the {plan.Verb} does not switch to them: {string.Join("; ", differences)}. Find what changed the new database (a trigger, a hand-written row), then run the {plan.Verb} with --abort and again");
        }
    }

    /// <summary>Refuses (exit 1) when a new database has no copy yet: the operation is recorded, but its copy has not started.</summary>
    public async Task RequireCopiesAsync(CancellationToken cancellationToken)
    {
        foreach (ReshardTarget target in plan.Targets)
        {
            if (!await LogicalCopy.SubscribedAsync(Database(target.ConnectionString), target.Slot, cancellationToken).ConfigureAwait(false))
            {
                throw Verbs.ToolRefusal.BadInput($"{target.Name} has no copy of {target.Source.Name} yet: run the {plan.Verb} (with --stop-before-switch) first.");
            }
        }
    }
}

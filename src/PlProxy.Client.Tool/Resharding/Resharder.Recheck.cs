using Npgsql;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>
/// The rows written since the comparison: their keys recorded on every source and new database from before the
/// chunked comparison to the fence (<see cref="ChangedKeys"/>), compared again before the fence in rounds while there
/// are many, and under the fence exactly — so the pause grows with the writes of the last moments, not with the size of
/// the tables. Where the keys cannot be recorded (no free replication slot, a transaction that keeps the slot from
/// starting, a server without logical WAL) the check under the fence reads every moving row, as before.
/// </summary>
internal sealed partial class Resharder
{
    // Rounds before the fence end once fewer keys than this are left for the fence, or after MaxRounds.
    private const int KeysLeftForTheFence = 2_000;
    private const int MaxRounds = 3;
    private static readonly TimeSpan SlotStartTimeout = TimeSpan.FromSeconds(10);

    private Dictionary<string, ChangedKeys>? _recorders; // by connection string
    private List<(ReshardTarget Target, TableKey Table, string Moving)>? _compared; // ComparedTablesAsync's, once read
    private readonly Dictionary<(ReshardTarget Target, string Table), HashSet<string>> _pending = [];

    // Before the chunked comparison: records the keys written on every source and new database from now on.
    private async Task RecordChangesAsync(CancellationToken cancellationToken)
    {
        List<(ReshardTarget Target, TableKey Table, string Moving)> compared = await ComparedTablesAsync(cancellationToken).ConfigureAwait(false);
        (string Database, TableKey[] Tables)[] databases = [.. compared
            .SelectMany(r => new[] { (Database: r.Target.Source.ConnectionString, r.Table), (Database: r.Target.ConnectionString, r.Table) })
            .GroupBy(r => r.Database, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Select(r => r.Table).ToArray()))];
        (string Database, ChangedKeys? Recorder, string? Failure)[] started = await Task.WhenAll(databases.Select(async d =>
        {
            try
            {
                return (d.Database, (ChangedKeys?)await ChangedKeys.StartAsync(d.Database, d.Tables, SlotStartTimeout, cancellationToken).ConfigureAwait(false), (string?)null);
            }
            catch (NpgsqlException e)
            {
                return (d.Database, null, e.Message);
            }
        })).ConfigureAwait(false);
        _recorders = started.Where(s => s.Recorder is not null).ToDictionary(s => s.Database, s => s.Recorder!, StringComparer.Ordinal);
        if (started.FirstOrDefault(s => s.Failure is not null) is { Failure: { } failure } failed)
        {
            await StopRecordingAsync($"the keys written on {ReshardPlan.DatabaseName(failed.Database)} cannot be recorded ({failure.TrimEnd('.')})").ConfigureAwait(false);
        }
    }

    // Runs the chunked comparison and, meanwhile, reads the recorded keys every few seconds, so that a long comparison
    // does not leave the slots holding all the WAL written meanwhile; once more keys are held than the settings allow,
    // they are compared at once rather than after the comparison, so its memory does not grow with the writes. A
    // difference found then stops the comparison and refuses the switch.
    private async Task WhileRecordingAsync(Func<CancellationToken, Task> compare, CancellationToken cancellationToken)
    {
        using var comparison = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task comparing = compare(comparison.Token);
        try
        {
            while (_recorders is not null && !cancellationToken.IsCancellationRequested
                && await Task.WhenAny(comparing, Task.Delay(settings.ReadKeysEvery ?? ReshardSettings.DefaultReadKeysEvery, cancellationToken)).ConfigureAwait(false) != comparing)
            {
                int held = await GatherAsync(cancellationToken).ConfigureAwait(false) ? PendingKeys : 0;
                if (held > settings.MaxPendingKeys)
                {
                    List<(ReshardTarget Target, TableDiff Diff)> found = await ComparePendingAsync(wholeTables: false, cancellationToken).ConfigureAwait(false);
                    RefuseDifferences(found);
                    await SayAsync("compare", $"the {found.Sum(f => f.Diff.Rows)} rows of the {held} keys written so far during the comparison equal their copies (compared before its end: more keys than --max-pending-keys were held)").ConfigureAwait(false);
                }
            }
        }
        catch
        {
            await comparison.CancelAsync().ConfigureAwait(false);
            try
            {
                await comparing.ConfigureAwait(false);
            }
            catch (Exception) when (comparison.IsCancellationRequested)
            {
                // Stopped for the failure thrown below.
            }

            throw;
        }

        await comparing.ConfigureAwait(false);
    }

    // The keys held for the rounds before the fence, over every copied table.
    private int PendingKeys => _pending.Values.Sum(k => k.Count);

    // After the chunked comparison, before the fence: the rows written meanwhile compared again, until few are left.
    private async Task RecheckBeforeFenceAsync(CancellationToken cancellationToken)
    {
        for (int round = 1; await GatherAsync(cancellationToken).ConfigureAwait(false); round++)
        {
            int left = PendingKeys;
            if (left < KeysLeftForTheFence || round > MaxRounds)
            {
                await SayAsync("compare", $"{left} keys written since then are left for the check under the fence").ConfigureAwait(false);
                return;
            }

            List<(ReshardTarget Target, TableDiff Diff)> found = await ComparePendingAsync(wholeTables: false, cancellationToken).ConfigureAwait(false);
            RefuseDifferences(found);
            await SayAsync("compare", $"the {found.Sum(f => f.Diff.Rows)} rows written during the comparison equal their copies (round {round}, by their recorded keys)").ConfigureAwait(false);
        }
    }

    // Under the fence: the rows written since the last comparison, exactly; false when the keys were not recorded.
    private async Task<bool> RecheckUnderFenceAsync(CancellationToken cancellationToken)
    {
        if (!await GatherAsync(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        List<(ReshardTarget Target, TableDiff Diff)> found = await ComparePendingAsync(wholeTables: true, cancellationToken).ConfigureAwait(false);
        await StopRecordingAsync(null).ConfigureAwait(false);
        RefuseDifferences(found);
        await SayAsync("fence", $"copies compared: the {found.Sum(f => f.Diff.Rows)} rows written since the last comparison equal their sources (under the fence, by their recorded keys)").ConfigureAwait(false);
        return true;
    }

    // Reads every recorder and adds the keys each copied table gained, on its source or its copy, to what is pending.
    private async Task<bool> GatherAsync(CancellationToken cancellationToken)
    {
        if (_recorders is null)
        {
            return false;
        }

        try
        {
            await Task.WhenAll(_recorders.Values.Select(r => r.ReadAsync(cancellationToken))).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or FormatException)
        {
            await StopRecordingAsync($"the keys written could not be read ({e.Message.TrimEnd('.')})").ConfigureAwait(false);
            return false;
        }

        foreach ((ReshardTarget target, TableKey table, _) in _compared!)
        {
            if (!_pending.TryGetValue((target, table.Table), out HashSet<string>? keys))
            {
                keys = new HashSet<string>(StringComparer.Ordinal);
                _pending.Add((target, table.Table), keys);
            }

            keys.UnionWith(_recorders[target.Source.ConnectionString].KeysOf(table));
            keys.UnionWith(_recorders[target.ConnectionString].KeysOf(table));
        }

        foreach (ChangedKeys recorder in _recorders.Values)
        {
            recorder.Clear();
        }

        return true;
    }

    // Compares the pending keys of every copied table, and clears them; a table a change named no key of is compared
    // whole under the fence (and left pending before it).
    private async Task<List<(ReshardTarget Target, TableDiff Diff)>> ComparePendingAsync(bool wholeTables, CancellationToken cancellationToken)
    {
        List<(ReshardTarget, TableDiff)>[] byTarget = await Task.WhenAll(plan.Targets.Select(async target =>
        {
            var diff = new CopyDiff(Database(target.Source.ConnectionString), Database(target.ConnectionString), token => CaughtUpAsync(target, token), chunkRows: 0);
            var found = new List<(ReshardTarget, TableDiff)>();
            foreach ((_, TableKey table, string moving) in _compared!.Where(r => r.Target == target))
            {
                if (_recorders![target.Source.ConnectionString].IsWhole(table) || _recorders[target.ConnectionString].IsWhole(table))
                {
                    if (wholeTables)
                    {
                        found.Add((target, await diff.CompareAsync(table, moving, cancellationToken).ConfigureAwait(false)));
                    }

                    continue;
                }

                HashSet<string> keys = _pending[(target, table.Table)];
                found.Add((target, await diff.CompareKeysAsync(table, moving, keys, cancellationToken).ConfigureAwait(false)));
                keys.Clear();
            }

            return found;
        })).ConfigureAwait(false);
        return [.. byTarget.SelectMany(f => f)];
    }

    // Ends the recording (each session's end drops its temporary slot); a reason says why the fence reads every row.
    private async Task StopRecordingAsync(string? reason)
    {
        if (_recorders is not null)
        {
            foreach (ChangedKeys recorder in _recorders.Values)
            {
                await recorder.DisposeAsync().ConfigureAwait(false);
            }
        }

        _recorders = null;
        _pending.Clear();
        if (reason is not null)
        {
            await SayAsync("compare", $"note: {reason}; under the fence every moving row is compared again (one checksum per table)").ConfigureAwait(false);
        }
    }
}

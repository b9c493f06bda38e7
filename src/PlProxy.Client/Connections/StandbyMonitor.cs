using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;
using PlProxy.Client.Telemetry;

namespace PlProxy.Client.Connections;

/// <summary>
/// Checks every host of a replicated partition at a fixed cadence (and at once when a call suspects a failover): which
/// is the primary, the primary's WAL insert position, each standby's replay position. Staleness is known, not guessed:
/// a primary position read after time t covers every commit made before t, so a standby that has replayed past it
/// holds every such commit; its staleness at any later moment is at most the time since t. The primary's positions of
/// the last few seconds are kept to place a standby that is behind. A new primary (a standby promoted) clears what
/// Npgsql's multi-host pool remembers of the hosts' roles, so calls find it without waiting for Npgsql's recheck.
/// </summary>
internal sealed class StandbyMonitor : IAsyncDisposable
{
    private const string CheckSql = """
        select pg_catalog.pg_is_in_recovery(),
               case when pg_catalog.pg_is_in_recovery() then pg_catalog.pg_last_wal_replay_lsn() else pg_catalog.pg_current_wal_insert_lsn() end,
               pg_catalog.current_setting('wal_block_size')::int8, pg_catalog.pg_size_bytes(pg_catalog.current_setting('wal_segment_size'))
        """;

    // The sizes of a WAL page's header: at the start of a segment (long) and of any other page (short), on 64-bit builds.
    private const ulong LongPageHeader = 40;
    private const ulong ShortPageHeader = 24;

    private readonly PartitionReplicas _replicas;
    private readonly TimeSpan _interval;
    private readonly long _keepTicks;
    private readonly Queue<(long At, ulong Lsn)> _primaryPositions = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private ReplicaHost? _primary;
    private Task? _loop;

    public StandbyMonitor(PartitionReplicas replicas, TimeSpan interval, TimeSpan maxLag)
    {
        _replicas = replicas;
        _interval = interval;
        _keepTicks = (long)((maxLag + (4 * interval)).TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>Completed checks (for tests: a state at least this new has been published).</summary>
    public int Checks { get; private set; }

    /// <summary>Starts checking (once).</summary>
    public void Start() => _loop ??= Task.Run(() => RunAsync(_stop.Token));

    /// <summary>Checks now rather than at the next tick: a call met what may be a failover (a refused connection, a read-only primary).</summary>
    public void Suspect()
    {
        try
        {
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        }
        catch (Exception e) when (e is SemaphoreFullException or ObjectDisposedException)
        {
            // Already woken, or stopped.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
        }

        _stop.Dispose();
        _wake.Dispose();
    }

    private async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            await CheckAsync(stop).ConfigureAwait(false);
            try
            {
                await _wake.WaitAsync(_interval, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One check of every host, its results published to the hosts.</summary>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp(); // before any position is read: each read position covers every commit made before this
        ReplicaHost[] hosts = _replicas.Hosts;
        (bool InRecovery, ulong Lsn)?[] seen = await Task.WhenAll(hosts.Select(h => ReadAsync(h, cancellationToken))).ConfigureAwait(false);
        if (cancellationToken.IsCancellationRequested)
        {
            return;
        }

        ReplicaHost? primary = null;
        for (int i = 0; i < hosts.Length; i++)
        {
            if (seen[i] is { InRecovery: false } found && primary is null)
            {
                primary = hosts[i];
                primary.Lsn = found.Lsn;
            }
        }

        if (primary is not null)
        {
            if (_primary is not null && !ReferenceEquals(_primary, primary))
            {
                // A standby was promoted: the old primary's positions belong to a timeline that no longer serves.
                _primaryPositions.Clear();
                (_replicas.Primary as NpgsqlMultiHostDataSource)?.ClearDatabaseStates();
                _replicas.OnPrimaryChanged();
            }

            _primary = primary;
            _primaryPositions.Enqueue((started, primary.Lsn));
            while (_primaryPositions.Count > 1 && started - _primaryPositions.Peek().At > _keepTicks)
            {
                _primaryPositions.Dequeue();
            }
        }

        for (int i = 0; i < hosts.Length; i++)
        {
            ReplicaHost host = hosts[i];
            if (seen[i] is not { } result)
            {
                host.MarkDown();
                continue;
            }

            if (!result.InRecovery)
            {
                host.Role = ReferenceEquals(host, primary) ? ReplicaRole.Primary : ReplicaRole.Down; // a second primary is not trusted with reads
                host.CoveredUntil = 0;
                continue;
            }

            host.Lsn = result.Lsn;
            long covered = 0;
            foreach ((long at, ulong lsn) in _primaryPositions)
            {
                if (lsn <= result.Lsn && at > covered)
                {
                    covered = at;
                }
            }

            host.CoveredUntil = covered;
            host.Role = ReplicaRole.Standby;
            if (PlProxyTelemetry.StandbyLag.Enabled && covered != 0)
            {
                PlProxyTelemetry.StandbyLag.Record(Stopwatch.GetElapsedTime(covered).TotalSeconds, Tags(host));
            }
        }

        Checks++;
    }

    // The host's role and WAL position, or null when it cannot be reached within the check's time.
    private async Task<(bool InRecovery, ulong Lsn)?> ReadAsync(ReplicaHost host, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_interval * 4 > TimeSpan.FromSeconds(1) ? _interval * 4 : TimeSpan.FromSeconds(1));
        try
        {
            await using NpgsqlConnection connection = await host.MonitorPool.OpenConnectionAsync(timeout.Token).ConfigureAwait(false);
            await using var command = new NpgsqlCommand(CheckSql, connection);
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(timeout.Token).ConfigureAwait(false);
            if (!await reader.ReadAsync(timeout.Token).ConfigureAwait(false) || reader.IsDBNull(1))
            {
                return null;
            }

            bool inRecovery = reader.GetBoolean(0);
            ulong lsn = (ulong)reader.GetFieldValue<NpgsqlLogSequenceNumber>(1);
            return (inRecovery, inRecovery ? lsn : EndOfLastRecord(lsn, (ulong)reader.GetInt64(2), (ulong)reader.GetInt64(3)));
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException or IOException or ObjectDisposedException)
        {
            return null;
        }
    }

    // The primary's insert position points past a page's header when nothing has been written on that page yet, where
    // a standby that replayed everything stops at the page's start (the end of the last record): an idle primary
    // would never be caught up with. The end of the last record is the position that matters.
    private static ulong EndOfLastRecord(ulong insert, ulong pageSize, ulong segmentSize) =>
        insert % segmentSize == LongPageHeader ? insert - LongPageHeader
        : insert % pageSize == ShortPageHeader ? insert - ShortPageHeader
        : insert;

    private static TagList Tags(ReplicaHost host)
    {
        (string? address, int port) = DatabaseName.ServerOf(host.Pool);
        return new()
        {
            { TelemetryNames.DbNamespace, DatabaseName.Of(host.Pool) },
            { TelemetryNames.ServerAddress, address },
            { TelemetryNames.ServerPort, port },
        };
    }
}

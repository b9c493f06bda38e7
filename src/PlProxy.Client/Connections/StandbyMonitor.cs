using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;
using PlProxy.Client.Telemetry;

namespace PlProxy.Client.Connections;

/// <summary>
/// Checks every host of a server's replication set at a fixed cadence (and at once when a call suspects a failover):
/// which is the primary, the primary's WAL insert position, each standby's replay position. Roles and WAL positions
/// belong to the server, not to a database, so one monitor serves every replicated partition database on the same
/// hosts (and user): it checks over the monitor connections of one of them and publishes to the hosts of all — one
/// monitor connection per host for the whole server, not one per partition database. Staleness is known, not
/// guessed: a primary position read after time t covers every commit made before t, so a standby that has replayed
/// past it holds every such commit; its staleness at any later moment is at most the time since t. The primary's
/// positions of the last few seconds are kept to place a standby that is behind. A new primary (a standby promoted)
/// clears what each partition's multi-host pool remembers of the hosts' roles, so calls find it without waiting for
/// Npgsql's recheck.
/// </summary>
internal sealed class StandbyMonitor : IAsyncDisposable
{
    private const string CheckSql = """
        select pg_catalog.pg_is_in_recovery(),
               case when pg_catalog.pg_is_in_recovery() then pg_catalog.pg_last_wal_replay_lsn() else pg_catalog.pg_current_wal_insert_lsn() end,
               pg_catalog.current_setting('wal_block_size')::int8, pg_catalog.pg_size_bytes(pg_catalog.current_setting('wal_segment_size')),
               (select system_identifier from pg_catalog.pg_control_system()),
               case when pg_catalog.pg_is_in_recovery()
                    then coalesce((select received_tli from pg_catalog.pg_stat_wal_receiver), (select timeline_id from pg_catalog.pg_control_checkpoint()))
                    else ('x' || substr(pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_insert_lsn()), 1, 8))::bit(32)::int4
               end::int8
        """;

    // The sizes of a WAL page's header: at the start of a segment (long) and of any other page (short), on 64-bit builds.
    private const ulong LongPageHeader = 40;
    private const ulong ShortPageHeader = 24;

    private readonly List<PartitionReplicas> _partitions = []; // the partition databases on these hosts, in the order they came
    private readonly TimeSpan _interval;
    private readonly long _keepTicks;
    private readonly Queue<(long At, ulong Lsn)> _primaryPositions = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private string? _primary; // the endpoint of the primary at the last check
    private long? _systemIdentifier; // the primary's: its standbys, copies of it, have the same; another server's do not
    private long _timeline; // the primary's: a standby on another holds another history (or has not switched to it yet)
    private Task? _loop;

    public StandbyMonitor(string server, TimeSpan interval, TimeSpan maxLag)
    {
        Server = server;
        _interval = interval;
        _keepTicks = (long)((maxLag + (4 * interval)).TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>What the monitor is shared by: the hosts and the user (<see cref="ServerOf"/>).</summary>
    public string Server { get; }

    /// <summary>Completed checks (for tests: a state at least this new has been published).</summary>
    public int Checks { get; private set; }

    /// <summary>The key of the monitor a replicated partition database shares: its hosts (in any order) and its user.</summary>
    public static string ServerOf(ReplicaHost[] hosts, string connectionString) =>
        $"{string.Join(",", hosts.Select(h => h.Endpoint).Order(StringComparer.Ordinal))};{new NpgsqlConnectionStringBuilder(connectionString).Username}";

    /// <summary>Publishes to <paramref name="partition"/>'s hosts from the next check on.</summary>
    public void Add(PartitionReplicas partition)
    {
        lock (_partitions)
        {
            _partitions.Add(partition);
        }

        Suspect(); // its hosts' state is unknown until a check
    }

    /// <summary>Stops publishing to <paramref name="partition"/>; true when no partition is left (the monitor may go).</summary>
    public bool Remove(PartitionReplicas partition)
    {
        lock (_partitions)
        {
            _partitions.Remove(partition);
            return _partitions.Count == 0;
        }
    }

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

    /// <summary>One check of every host, its results published to the hosts of every partition database on them.</summary>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp(); // before any position is read: each read position covers every commit made before this
        PartitionReplicas[] partitions;
        lock (_partitions)
        {
            partitions = [.. _partitions];
        }

        if (partitions.Length == 0)
        {
            return;
        }

        // Read over the monitor connections of the first partition database; should it leave meanwhile (its pools
        // closed under the reads), the results are not trusted: the next check reads over another's.
        ReplicaHost[] hosts = partitions[0].Hosts;
        HostState?[] seen = await Task.WhenAll(hosts.Select(h => ReadAsync(h, cancellationToken))).ConfigureAwait(false);
        lock (_partitions)
        {
            if (cancellationToken.IsCancellationRequested || !_partitions.Contains(partitions[0]))
            {
                return;
            }
        }

        if (partitions.Length > 1 && Array.TrueForAll(seen, r => r is null))
        {
            // No host answered over this database's connections: the next check reads over another's, in case the
            // fault is this database's (dropped, or closed to this user) rather than the hosts'.
            lock (_partitions)
            {
                if (_partitions.Remove(partitions[0]))
                {
                    _partitions.Add(partitions[0]);
                }
            }
        }

        var results = new Dictionary<string, HostState?>(StringComparer.Ordinal);
        string? primary = null;
        for (int i = 0; i < hosts.Length; i++)
        {
            results[hosts[i].Endpoint] = seen[i];
            if (seen[i] is { InRecovery: false } && primary is null)
            {
                primary = hosts[i].Endpoint;
            }
        }

        if (primary is not null)
        {
            if (_primary is not null && _primary != primary)
            {
                // A standby was promoted: the old primary's positions belong to a timeline that no longer serves.
                _primaryPositions.Clear();
                foreach (PartitionReplicas partition in partitions)
                {
                    (partition.Primary as NpgsqlMultiHostDataSource)?.ClearDatabaseStates();
                    partition.OnPrimaryChanged();
                }
            }

            _primary = primary;
            _systemIdentifier = results[primary]!.Value.SystemIdentifier;
            _timeline = results[primary]!.Value.Timeline;
            _primaryPositions.Enqueue((started, results[primary]!.Value.Lsn));
            while (_primaryPositions.Count > 1 && started - _primaryPositions.Peek().At > _keepTicks)
            {
                _primaryPositions.Dequeue();
            }
        }

        foreach (PartitionReplicas partition in partitions)
        {
            foreach (ReplicaHost host in partition.Hosts)
            {
                Publish(host, results.GetValueOrDefault(host.Endpoint), host.Endpoint == primary);
            }
        }

        Checks++;
    }

    private void Publish(ReplicaHost host, HostState? result, bool isPrimary)
    {
        if (result is not { } found)
        {
            host.MarkDown();
            return;
        }

        if (found.SystemIdentifier != _systemIdentifier && _systemIdentifier is not null)
        {
            // Another server's primary or standby, listed with this partition by mistake: its WAL positions say nothing
            // of this primary's commits, nor its rows of this partition's. Never read from.
            host.Role = ReplicaRole.Foreign;
            host.CoveredUntil = 0;
            return;
        }

        host.Lsn = found.Lsn;
        host.Timeline = found.Timeline;
        if (!found.InRecovery)
        {
            if (isPrimary && host.TakeReadsSent())
            {
                // The primary after it served reads as a standby (promoted): calls reach it through the partition's
                // pool now, so the connections those reads left in its own pool would hold a second cap's worth on it.
                // Idle ones close now, busy ones when their reads end. (A pool no read used is left alone: another
                // cluster naming this host alone may share it.)
                host.Pool.Clear();
            }

            host.Role = isPrimary ? ReplicaRole.Primary : ReplicaRole.Down; // a second primary is not trusted with reads
            host.CoveredUntil = 0;
            return;
        }

        if (found.Timeline != _timeline)
        {
            // A standby on another timeline than the primary's: after a failover, one left on the old primary's, whose
            // replay may have gone past the point the new primary's history forked (it then holds commits the primary
            // never had and can never follow it), or one that has not switched yet. Its WAL positions do not compare
            // with the primary's: a diverged standby ahead of the new primary's WAL looked fresh. Not read from until
            // it is on the primary's timeline.
            host.Role = ReplicaRole.OtherTimeline;
            host.CoveredUntil = 0;
            return;
        }

        long covered = 0;
        foreach ((long at, ulong lsn) in _primaryPositions)
        {
            if (lsn <= found.Lsn && at > covered)
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

    // The host's role, WAL position and system identifier, or null when it cannot be reached within the check's time.
    private async Task<HostState?> ReadAsync(ReplicaHost host, CancellationToken cancellationToken)
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
            return new HostState(inRecovery, inRecovery ? lsn : EndOfLastRecord(lsn, (ulong)reader.GetInt64(2), (ulong)reader.GetInt64(3)), reader.GetInt64(4), reader.GetInt64(5));
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

    // What one check read from a host. A standby's timeline is the one its WAL receiver last received (shown to roles
    // with pg_read_all_stats), else the one of its last restartpoint, which may lag: never newer than what it replays.
    private readonly record struct HostState(bool InRecovery, ulong Lsn, long SystemIdentifier, long Timeline);
}

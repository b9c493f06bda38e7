using System.Diagnostics;
using Npgsql;

namespace PlProxy.Client.Connections;

/// <summary>
/// A replicated partition: its primary (Npgsql's multi-host pool, which finds the primary among the hosts) and each
/// host on its own for reads from standbys, kept current by the <see cref="StandbyMonitor"/> of its server (shared with
/// the other partition databases on the same hosts). Chooses the standby a read
/// goes to: one whose staleness is known to be within the bound (and, with read-your-writes, that has replayed every
/// write this data source made to the partition), balanced across those; none, and the read goes to the primary.
/// </summary>
internal sealed class PartitionReplicas : IAsyncDisposable
{
    private long _lastWrite;
    private uint _next;

    public PartitionReplicas(NpgsqlDataSource primary, ReplicaHost[] hosts, StandbyMonitor monitor)
    {
        Primary = primary;
        Hosts = hosts;
        Monitor = monitor;
    }

    /// <summary>The multi-host pool calls that write (or must see the newest data) go through.</summary>
    public NpgsqlDataSource Primary { get; }

    public ReplicaHost[] Hosts { get; }

    public StandbyMonitor Monitor { get; }

    /// <summary>Raised (on the monitor's thread) when a host other than the last primary is found to be the primary: a failover happened.</summary>
    public event Action? PrimaryChanged;

    /// <summary>Tells those listening that a new primary serves.</summary>
    public void OnPrimaryChanged() => PrimaryChanged?.Invoke();

    /// <summary>
    /// The end of the last call this data source ran on the primary (<see cref="Stopwatch"/> ticks): a standby is fresh
    /// enough for read-your-writes once it has replayed everything the primary had committed at that moment.
    /// </summary>
    public long LastWrite => Volatile.Read(ref _lastWrite);

    /// <summary>Records that a call on the primary has returned (any call not marked to read from a standby may have written).</summary>
    public void NoteWrite()
    {
        long now = Stopwatch.GetTimestamp();
        long last = Volatile.Read(ref _lastWrite);
        while (now > last)
        {
            long seen = Interlocked.CompareExchange(ref _lastWrite, now, last);
            if (seen == last)
            {
                return;
            }

            last = seen;
        }
    }

    /// <summary>
    /// A standby a read may go to now: one at most <paramref name="maxLag"/> stale, and with
    /// <paramref name="readYourWrites"/> one that has replayed past this data source's last write to the partition;
    /// the fresh ones in turn. Null when none is (the read goes to the primary).
    /// </summary>
    public ReplicaHost? ChooseStandby(TimeSpan maxLag, bool readYourWrites)
    {
        long now = Stopwatch.GetTimestamp();
        long oldest = now - (long)(maxLag.TotalSeconds * Stopwatch.Frequency);
        long lastWrite = readYourWrites ? LastWrite : 0;
        ReplicaHost[] hosts = Hosts;
        int fresh = 0;
        foreach (ReplicaHost host in hosts)
        {
            fresh += IsFresh(host, oldest, lastWrite) ? 1 : 0;
        }

        if (fresh == 0)
        {
            return null;
        }

        // The fresh ones in turn: the n-th read goes to the (n mod fresh)-th of them.
        int turn = (int)(Interlocked.Increment(ref _next) % (uint)fresh);
        foreach (ReplicaHost host in hosts)
        {
            if (IsFresh(host, oldest, lastWrite) && turn-- == 0)
            {
                return host;
            }
        }

        return null; // a host went stale between the two passes
    }

    private static bool IsFresh(ReplicaHost host, long oldest, long lastWrite)
    {
        long covered = host.CoveredUntil;
        return host.Role == ReplicaRole.Standby && covered != 0 && covered >= oldest && covered >= lastWrite;
    }

    /// <summary>Closes its monitor connections to the hosts (the registry has taken it from its monitor first).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (ReplicaHost host in Hosts)
        {
            await host.MonitorPool.DisposeAsync().ConfigureAwait(false);
        }
    }
}

using Npgsql;

namespace PlProxy.Client.Connections;

/// <summary>
/// One host of a replicated partition as the standby monitor last saw it: its role, how far its replay has come, its
/// own pool (with the partition's cap) for the reads sent to it, and the monitor's connection to it. Written by the
/// monitor, read by calls.
/// </summary>
internal sealed class ReplicaHost(string endpoint, NpgsqlDataSource pool, PartitionGate? gate, NpgsqlDataSource monitorPool)
{
    private int _role; // ReplicaRole
    private long _coveredUntil;
    private long _replayLsn;
    private long _timeline;
    private int _readsSent; // 1 once a read was sent to this host as a standby, until a promotion is seen

    /// <summary><c>host:port</c>.</summary>
    public string Endpoint { get; } = endpoint;

    /// <summary>The pool of this host alone, for the reads sent to it as a standby.</summary>
    public NpgsqlDataSource Pool { get; } = pool;

    /// <summary>
    /// A pool of one connection to this host for the monitor's checks, beside <see cref="Pool"/>: a check never waits
    /// for a connection that calls hold (long reads holding all of them would otherwise have the host taken for down).
    /// </summary>
    public NpgsqlDataSource MonitorPool { get; } = monitorPool;

    /// <summary>The pool's gate, where the partition's connections are capped.</summary>
    public PartitionGate? Gate { get; } = gate;

    /// <summary>Its role at the last check (unknown before the first, down when the check failed).</summary>
    public ReplicaRole Role
    {
        get => (ReplicaRole)Volatile.Read(ref _role);
        set => Volatile.Write(ref _role, (int)value);
    }

    /// <summary>
    /// For a standby, a time (<see cref="System.Diagnostics.Stopwatch"/> ticks) such that every transaction the primary
    /// had committed by then is replayed here; 0 when not known. Its staleness at any later moment is at most the time since.
    /// </summary>
    public long CoveredUntil
    {
        get => Volatile.Read(ref _coveredUntil);
        set => Volatile.Write(ref _coveredUntil, value);
    }

    /// <summary>Its WAL position at the last check: replayed (a standby) or inserted (the primary).</summary>
    public ulong Lsn
    {
        get => (ulong)Volatile.Read(ref _replayLsn);
        set => Volatile.Write(ref _replayLsn, (long)value);
    }

    /// <summary>Its timeline at the last check: inserted on (the primary), or received or last restarted on (a standby).</summary>
    public long Timeline
    {
        get => Volatile.Read(ref _timeline);
        set => Volatile.Write(ref _timeline, value);
    }

    /// <summary>A read goes to this host as a standby: its own pool may hold connections from now on.</summary>
    public void ReadSent()
    {
        if (Volatile.Read(ref _readsSent) == 0)
        {
            Volatile.Write(ref _readsSent, 1); // written once, not by every read: readers on many threads share the line
        }
    }

    /// <summary>Whether reads were sent to this host since the last call (the connections they left are the caller's to close).</summary>
    public bool TakeReadsSent() => Interlocked.Exchange(ref _readsSent, 0) == 1;

    /// <summary>Marks the host down until its next successful check (a read sent to it could not reach it).</summary>
    public void MarkDown()
    {
        Role = ReplicaRole.Down;
        CoveredUntil = 0;
    }
}

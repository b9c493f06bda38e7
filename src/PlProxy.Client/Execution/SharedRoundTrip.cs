using Npgsql;

namespace PlProxy.Client.Execution;

/// <summary>
/// One round trip of queued calls in flight (<see cref="PartitionBatch"/>): its callers, and its stop once every one of
/// them has left it (cancelled, or past its query timeout). Nothing then waits for its statements, so PostgreSQL is
/// asked to cancel them, as a call's alone are, rather than let them hold the connection to their end: statements
/// waiting for a lock held elsewhere would hold it as long as the lock is held, and every call queued behind them would
/// time out. While any caller waits, the round trip runs on.
/// </summary>
internal sealed class SharedRoundTrip
{
    private readonly QueuedCall[] _calls;
    private readonly NpgsqlBatch _batch;
    private bool _ended;
    private int _stopping;

    private SharedRoundTrip(QueuedCall[] calls, NpgsqlBatch batch)
    {
        _calls = calls;
        _batch = batch;
    }

    /// <summary>
    /// The round trip of <paramref name="calls"/> about to be sent as <paramref name="batch"/>, each call told of it; null
    /// when every caller has left already (nothing is to be sent).
    /// </summary>
    public static SharedRoundTrip? Start(List<QueuedCall> calls, NpgsqlBatch batch)
    {
        var roundTrip = new SharedRoundTrip([.. calls], batch);
        foreach (QueuedCall call in roundTrip._calls)
        {
            call.SentIn(roundTrip);
        }

        return roundTrip.AllLeft() ? null : roundTrip;
    }

    /// <summary>A caller left (its call is done): the last one to leave stops the round trip.</summary>
    public void CallerLeft()
    {
        if (AllLeft() && Interlocked.Exchange(ref _stopping, 1) == 0)
        {
            // Npgsql sends the cancel request over a connection of its own: not on the leaving caller's thread.
            ThreadPool.UnsafeQueueUserWorkItem(static roundTrip => roundTrip.Cancel(), this, preferLocal: false);
        }
    }

    /// <summary>The round trip's statements have ended: a stop that comes later does nothing (the connection may serve others by then).</summary>
    public void End()
    {
        lock (_calls)
        {
            _ended = true;
        }

        foreach (QueuedCall call in _calls)
        {
            call.SentIn(null);
        }
    }

    private bool AllLeft() => Array.TrueForAll(_calls, static call => call.IsDone);

    // Npgsql cancels the statement running (PostgreSQL fails it with 57014, and the round trip's transaction with it:
    // nothing commits); should PostgreSQL not stop it, Npgsql breaks the connection after its cancellation timeout.
    private void Cancel()
    {
        lock (_calls)
        {
            if (!_ended)
            {
                try
                {
                    _batch.Cancel();
                }
                catch (Exception)
                {
                    // Best effort, as Npgsql's own cancellation: the statements end on their own.
                }
            }
        }
    }
}

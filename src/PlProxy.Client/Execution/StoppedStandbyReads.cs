using System.Runtime.CompilerServices;

namespace PlProxy.Client.Execution;

/// <summary>
/// Reads a standby stopped after their rows began to come (a conflict with recovery, the standby shutting down or
/// lost): the standby is marked down by the cursor that met the failure, and a call whose rows all arrive before the
/// caller sees any (every shape but a stream) reads again from the start — on another fresh standby or the primary —
/// with the rows read so far dropped. A stream has handed those rows out: it fails instead.
/// </summary>
internal static class StoppedStandbyReads
{
    /// <summary>The most reads of one call's rows from one database: the first and two more.</summary>
    public const int MaxReads = 3;

    private static readonly ConditionalWeakTable<Exception, object> Stopped = [];

    /// <summary>Notes that a standby stopped the read that failed with <paramref name="error"/> (the error as thrown to the reader).</summary>
    public static Exception Note(Exception error)
    {
        Stopped.TryAdd(error, Stopped);
        return error;
    }

    /// <summary>
    /// True when the read that failed with <paramref name="error"/> may start over: a standby stopped it, it was read
    /// <paramref name="reads"/> times so far (fewer than <see cref="MaxReads"/>), and the caller did not cancel.
    /// </summary>
    public static bool MayReadAgain(Exception error, int reads, CancellationToken cancellationToken) =>
        reads < MaxReads && !cancellationToken.IsCancellationRequested && Stopped.TryGetValue(error, out _);
}

using Npgsql;

namespace PlProxy.Client.PgQ;

/// <summary>
/// A batch being processed: its ids, the transaction on the queue's database it is read and finished in (a handler
/// writing into that database writes exactly once with it), and the events its handler asked to see again later.
/// </summary>
public sealed class PgQBatch
{
    private readonly List<(long EventId, int Seconds)> _retries = [];

    internal PgQBatch(long id, long tickId, long previousTickId, DateTime tickTime, NpgsqlConnection connection)
    {
        Id = id;
        TickId = tickId;
        PreviousTickId = previousTickId;
        TickTime = tickTime;
        Connection = connection;
    }

    /// <summary>The batch's id.</summary>
    public long Id { get; }

    /// <summary>The tick the batch ends at: a consumer that records it with its own writes knows which batches it applied.</summary>
    public long TickId { get; }

    /// <summary>The tick the batch starts after.</summary>
    public long PreviousTickId { get; }

    /// <summary>When the batch's end tick was made (the batch's date for SkyTools' cube dispatcher).</summary>
    public DateTime TickTime { get; }

    /// <summary>The connection to the queue's database, inside the transaction that finishes the batch.</summary>
    public NpgsqlConnection Connection { get; }

    internal IReadOnlyList<(long EventId, int Seconds)> Retries => _retries;

    // Applied exactly once into a target: a retry would be lost if a later run finished the batch.
    internal bool ExactlyOnce { get; set; }

    /// <summary>
    /// Delivers <paramref name="event"/> again in a later batch, no sooner than <paramref name="delay"/> from now
    /// (<c>pgq.event_retry</c>, applied when the batch is finished), its <see cref="PgQBatchEvent.Retry"/> count raised.
    /// </summary>
    public void Retry(PgQBatchEvent @event, TimeSpan delay)
    {
        ArgumentNullException.ThrowIfNull(@event);
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        if (ExactlyOnce)
        {
            throw new InvalidOperationException("A batch applied exactly once into a target database cannot retry events: apply or skip each one.");
        }

        _retries.Add((@event.Id, (int)Math.Ceiling(delay.TotalSeconds)));
    }
}

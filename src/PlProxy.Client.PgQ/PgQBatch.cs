using Npgsql;

namespace PlProxy.Client.PgQ;

/// <summary>
/// A batch being processed: its ids, the transaction on the queue's database it is read and finished in (a handler
/// writing into that database writes exactly once with it), and the events its handler asked to see again later.
/// </summary>
public sealed class PgQBatch
{
    private readonly List<(long EventId, int Seconds)> _retries = [];

    internal PgQBatch(long id, long tickId, long previousTickId, NpgsqlConnection connection)
    {
        Id = id;
        TickId = tickId;
        PreviousTickId = previousTickId;
        Connection = connection;
    }

    /// <summary>The batch's id.</summary>
    public long Id { get; }

    /// <summary>The tick the batch ends at: a consumer that records it with its own writes knows which batches it applied.</summary>
    public long TickId { get; }

    /// <summary>The tick the batch starts after.</summary>
    public long PreviousTickId { get; }

    /// <summary>The connection to the queue's database, inside the transaction that finishes the batch.</summary>
    public NpgsqlConnection Connection { get; }

    internal IReadOnlyList<(long EventId, int Seconds)> Retries => _retries;

    /// <summary>
    /// Delivers <paramref name="event"/> again in a later batch, no sooner than <paramref name="delay"/> from now
    /// (<c>pgq.event_retry</c>, applied when the batch is finished), its <see cref="PgQBatchEvent.Retry"/> count raised.
    /// </summary>
    public void Retry(PgQBatchEvent @event, TimeSpan delay)
    {
        ArgumentNullException.ThrowIfNull(@event);
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        _retries.Add((@event.Id, (int)Math.Ceiling(delay.TotalSeconds)));
    }
}

namespace PlProxy.Client.PgQ;

/// <summary>An event of a batch, as <c>pgq.get_batch_cursor</c> returns it.</summary>
/// <param name="Id">The event's id in its queue (<c>ev_id</c>).</param>
/// <param name="Time">When it was inserted (<c>ev_time</c>).</param>
/// <param name="TxId">The inserting transaction (<c>ev_txid</c>).</param>
/// <param name="Retry">How many times it was retried (<c>ev_retry</c>); null for its first delivery.</param>
/// <param name="Type">The event's type.</param>
/// <param name="Data">The event's payload.</param>
public sealed record PgQBatchEvent(long Id, DateTime Time, long TxId, int? Retry, string? Type, string? Data)
{
    /// <summary>The event's data read as JSON into a <typeparamref name="T"/>.</summary>
    /// <exception cref="System.Text.Json.JsonException">The data is not JSON of that shape.</exception>
    public T? DataAs<T>(System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo) =>
        Data is null ? default : System.Text.Json.JsonSerializer.Deserialize(Data, typeInfo);

    /// <summary><c>ev_extra1</c>.</summary>
    public string? Extra1 { get; init; }

    /// <summary><c>ev_extra2</c>.</summary>
    public string? Extra2 { get; init; }

    /// <summary><c>ev_extra3</c>.</summary>
    public string? Extra3 { get; init; }

    /// <summary><c>ev_extra4</c>.</summary>
    public string? Extra4 { get; init; }
}

namespace PlProxy.Client.PgQ;

/// <summary>An event to insert into a PgQ queue: <c>pgq.insert_event(queue, type, data, extra1, extra2, extra3, extra4)</c>.</summary>
/// <param name="Type">The event's type (<c>ev_type</c>): for logutriga's rows the operation, <c>I:id</c>, <c>U:id</c>, <c>D:id</c>.</param>
/// <param name="Data">The event's payload (<c>ev_data</c>): JSON, a urlencoded row (<see cref="PgQUrlEncoding"/>), anything textual.</param>
public sealed record PgQEvent(string? Type, string? Data)
{
    /// <summary>An event whose data is <paramref name="payload"/> as JSON (a source-generated <paramref name="typeInfo"/> keeps it trimming- and AOT-safe).</summary>
    public static PgQEvent Json<T>(string? type, T payload, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo) =>
        new(type, System.Text.Json.JsonSerializer.Serialize(payload, typeInfo));

    /// <summary><c>ev_extra1</c>: for logutriga's rows the table's name.</summary>
    public string? Extra1 { get; init; }

    /// <summary><c>ev_extra2</c>.</summary>
    public string? Extra2 { get; init; }

    /// <summary><c>ev_extra3</c>.</summary>
    public string? Extra3 { get; init; }

    /// <summary><c>ev_extra4</c>.</summary>
    public string? Extra4 { get; init; }
}

namespace PlProxy.Client.Planning;

/// <summary>What a <see cref="SqlValue"/> holds.</summary>
internal enum SqlValueKind : byte
{
    Null,
    Text,
    Integer,
    Uuid,
    Other,
}

/// <summary>
/// A value during expression evaluation: NULL, text, an integer (int2/int4/int8, widened), a UUID or another value
/// passed through. A struct, so that evaluating a hash allocates nothing.
/// </summary>
internal readonly struct SqlValue
{
    private SqlValue(SqlValueKind kind, string? text, long integer, Guid uuid, object? other)
    {
        Kind = kind;
        Text = text;
        Integer = integer;
        Uuid = uuid;
        Other = other;
    }

    public SqlValueKind Kind { get; }

    public string? Text { get; }

    public long Integer { get; }

    public Guid Uuid { get; }

    public object? Other { get; }

    public bool IsNull => Kind == SqlValueKind.Null;

    public static SqlValue Null => default;

    public static SqlValue FromText(string? text) => text is null ? Null : new SqlValue(SqlValueKind.Text, text, 0, default, null);

    public static SqlValue FromInteger(long value) => new(SqlValueKind.Integer, null, value, default, null);

    public static SqlValue FromUuid(Guid value) => new(SqlValueKind.Uuid, null, 0, value, null);

    /// <summary>Wraps a .NET value of an argument: strings, integers and GUIDs become typed values; null and DBNull become NULL.</summary>
    public static SqlValue FromObject(object? value) => value switch
    {
        null or DBNull => Null,
        string s => FromText(s),
        short v => FromInteger(v),
        int v => FromInteger(v),
        long v => FromInteger(v),
        byte v => FromInteger(v),
        Guid g => FromUuid(g),
        _ => new SqlValue(SqlValueKind.Other, null, 0, default, value),
    };

    public override string ToString() => Kind switch
    {
        SqlValueKind.Null => "NULL",
        SqlValueKind.Text => $"'{Text}'",
        SqlValueKind.Integer => Integer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        SqlValueKind.Uuid => Uuid.ToString(),
        _ => Other?.ToString() ?? "",
    };
}

using System.Data.Common;
using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace PlProxy.Client.Execution;

/// <summary>
/// PostgreSQL's order of the values a merge compares, type by type, where .NET's own order differs: NaN above every
/// number and equal to itself, −0 equal to 0; numerics of any precision, NaN and ±Infinity included; dates and
/// timestamps over PostgreSQL's whole range, ±infinity included; uuids by their 16 bytes as written; text by code point
/// (the C collation's UTF-8 byte order), not by UTF-16 code unit; <c>character(n)</c> without its trailing blanks;
/// intervals by their span with 30-day months and 24-hour days; enums by their labels' declared order.
/// </summary>
internal static class PgOrder
{
    /// <summary>The kind of a column's values from its PostgreSQL type name, or null when a merge cannot order it exactly.</summary>
    public static MergeKeyKind? KindOf(string dataTypeName)
    {
        string type = dataTypeName.Split('(')[0].Trim();
        return type switch
        {
            "smallint" => MergeKeyKind.Int16,
            "integer" => MergeKeyKind.Int32,
            "bigint" => MergeKeyKind.Int64,
            "numeric" => MergeKeyKind.Numeric,
            "real" => MergeKeyKind.Float4,
            "double precision" => MergeKeyKind.Float8,
            "boolean" => MergeKeyKind.Boolean,
            "uuid" => MergeKeyKind.Uuid,
            "bytea" => MergeKeyKind.Bytea,
            "date" => MergeKeyKind.Date,
            "timestamp without time zone" => MergeKeyKind.Timestamp,
            "timestamp with time zone" => MergeKeyKind.TimestampTz, // a kind of its own: wall-clock and UTC values do not compare
            "time without time zone" => MergeKeyKind.Time,
            "interval" => MergeKeyKind.Interval,
            "text" or "character varying" or "name" => MergeKeyKind.Text,
            "character" => MergeKeyKind.Bpchar,
            _ => null,
        };
    }

    /// <summary>
    /// The value at <paramref name="ordinal"/> as the comparison takes it (null for SQL NULL); an enum's label as its
    /// place in <paramref name="labels"/>, the labels in their declared order.
    /// </summary>
    public static object? Read(DbDataReader reader, int ordinal, MergeKeyKind kind, IReadOnlyDictionary<string, int>? labels = null)
    {
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }

        if (kind == MergeKeyKind.Enum)
        {
            string label = reader.GetString(ordinal);
            return labels!.TryGetValue(label, out int place) ? (long)place
                : throw new InvalidOperationException($"The enum label '{label}' is not one of the labels of its type as they were loaded for the first partition: added since, it is ordered from the next call on, once the types are loaded again.");
        }

        if (reader is not NpgsqlDataReader)
        {
            return FromClr(reader.GetValue(ordinal), kind); // a test executor's rows: .NET values
        }

        return kind switch
        {
            MergeKeyKind.Int16 => (long)reader.GetInt16(ordinal),
            MergeKeyKind.Int32 => (long)reader.GetInt32(ordinal),
            MergeKeyKind.Int64 => reader.GetInt64(ordinal),
            MergeKeyKind.Numeric => PgNumeric.Read(reader, ordinal),
            MergeKeyKind.Float4 => (double)reader.GetFloat(ordinal),
            MergeKeyKind.Float8 => reader.GetDouble(ordinal),
            MergeKeyKind.Boolean => reader.GetBoolean(ordinal),
            MergeKeyKind.Uuid => reader.GetGuid(ordinal),
            MergeKeyKind.Bytea => reader.GetFieldValue<byte[]>(ordinal),
            // PostgreSQL's own values (days, microseconds since 2000; ±infinity the extremes): its whole range, which
            // DateTime's (years 1 to 9999, -infinity read as 0001-01-01) is not.
            MergeKeyKind.Date => (long)reader.GetFieldValue<int>(ordinal),
            MergeKeyKind.Timestamp or MergeKeyKind.TimestampTz or MergeKeyKind.Time => reader.GetFieldValue<long>(ordinal),
            MergeKeyKind.Interval => Span(reader.GetFieldValue<NpgsqlInterval>(ordinal)),
            MergeKeyKind.Text => reader.GetString(ordinal),
            MergeKeyKind.Bpchar => reader.GetString(ordinal).TrimEnd(' '),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    /// <summary>
    /// The PostgreSQL type of the column at <paramref name="ordinal"/>, as <see cref="KindOf"/> reads it: Npgsql's name,
    /// or for a test executor's rows, which hold .NET values and name .NET types, the type such a value is (the .NET
    /// name when there is none).
    /// </summary>
    public static string TypeNameOf(DbDataReader reader, int ordinal) =>
        reader is NpgsqlDataReader ? reader.GetDataTypeName(ordinal) : ClrTypeNames.GetValueOrDefault(reader.GetFieldType(ordinal), reader.GetFieldType(ordinal).Name);

    // A .NET value in the form Read gives PostgreSQL's: days and microseconds since 2000, microseconds of a time.
    private static object FromClr(object value, MergeKeyKind kind) => kind switch
    {
        MergeKeyKind.Int16 or MergeKeyKind.Int32 or MergeKeyKind.Int64 => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        MergeKeyKind.Numeric => PgNumeric.Of((decimal)value),
        MergeKeyKind.Float4 or MergeKeyKind.Float8 => Convert.ToDouble(value, CultureInfo.InvariantCulture),
        MergeKeyKind.Date => (long)(((DateOnly)value).DayNumber - Epoch.DayNumber),
        MergeKeyKind.Timestamp => (((DateTime)value).Ticks - EpochTicks) / TimeSpan.TicksPerMicrosecond,
        MergeKeyKind.TimestampTz => (((DateTimeOffset)value).UtcTicks - EpochTicks) / TimeSpan.TicksPerMicrosecond,
        MergeKeyKind.Time => ((TimeOnly)value).Ticks / TimeSpan.TicksPerMicrosecond,
        MergeKeyKind.Interval => (Int128)(((TimeSpan)value).Ticks / TimeSpan.TicksPerMicrosecond),
        MergeKeyKind.Bpchar => ((string)value).TrimEnd(' '),
        _ => value, // boolean, uuid, bytea, text: as they are
    };

    private static readonly DateOnly Epoch = new(2000, 1, 1);

    private static readonly long EpochTicks = Epoch.ToDateTime(TimeOnly.MinValue).Ticks;

    private static readonly Dictionary<Type, string> ClrTypeNames = new()
    {
        [typeof(short)] = "smallint", [typeof(int)] = "integer", [typeof(long)] = "bigint", [typeof(decimal)] = "numeric",
        [typeof(float)] = "real", [typeof(double)] = "double precision", [typeof(bool)] = "boolean", [typeof(Guid)] = "uuid",
        [typeof(byte[])] = "bytea", [typeof(DateOnly)] = "date", [typeof(DateTime)] = "timestamp without time zone",
        [typeof(DateTimeOffset)] = "timestamp with time zone", [typeof(TimeOnly)] = "time without time zone",
        [typeof(TimeSpan)] = "interval", [typeof(string)] = "text",
    };

    /// <summary>Compares two non-NULL values of one kind as PostgreSQL's ORDER BY does (ascending).</summary>
    public static int Compare(object x, object y, MergeKeyKind kind) => kind switch
    {
        MergeKeyKind.Int16 or MergeKeyKind.Int32 or MergeKeyKind.Int64 or MergeKeyKind.Date or MergeKeyKind.Timestamp or MergeKeyKind.TimestampTz or MergeKeyKind.Time
            or MergeKeyKind.Enum
            => ((long)x).CompareTo((long)y),
        MergeKeyKind.Numeric => PgNumeric.Compare((PgNumeric)x, (PgNumeric)y),
        MergeKeyKind.Float4 or MergeKeyKind.Float8 => CompareFloat((double)x, (double)y),
        MergeKeyKind.Boolean => ((bool)x).CompareTo((bool)y),
        MergeKeyKind.Uuid => CompareUuid((Guid)x, (Guid)y),
        MergeKeyKind.Bytea => ((byte[])x).AsSpan().SequenceCompareTo((byte[])y),
        MergeKeyKind.Interval => ((Int128)x).CompareTo((Int128)y),
        MergeKeyKind.Text or MergeKeyKind.Bpchar => CompareCodePoints((string)x, (string)y),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    // float4/float8: NaN equals NaN and is above everything else; -0 equals 0 (float8_cmp_internal).
    private static int CompareFloat(double x, double y) =>
        double.IsNaN(x) ? (double.IsNaN(y) ? 0 : 1)
        : double.IsNaN(y) ? -1
        : x < y ? -1 : x > y ? 1 : 0;

    // uuid_cmp: memcmp of the 16 bytes in the order they are written (big-endian), which Guid's own order is not.
    private static int CompareUuid(Guid x, Guid y)
    {
        Span<byte> a = stackalloc byte[16];
        Span<byte> b = stackalloc byte[16];
        x.TryWriteBytes(a, bigEndian: true, out _);
        y.TryWriteBytes(b, bigEndian: true, out _);
        return a.SequenceCompareTo(b);
    }

    // UTF-8 byte order is code point order; UTF-16 code units order surrogates (U+D800–DFFF, for characters above
    // U+FFFF) below U+E000–FFFF, so those are moved above them before comparing.
    private static int CompareCodePoints(string x, string y)
    {
        int length = Math.Min(x.Length, y.Length);
        for (int i = 0; i < length; i++)
        {
            char a = x[i];
            char b = y[i];
            if (a != b)
            {
                return Weight(a).CompareTo(Weight(b));
            }
        }

        return x.Length.CompareTo(y.Length);

        static int Weight(char c) => c >= 0xE000 ? c - 0x800 : c >= 0xD800 ? c + 0x2000 : c;
    }

    // interval_cmp_value: months of 30 days, days of 24 hours, in microseconds (128 bits: no overflow).
    private static Int128 Span(NpgsqlInterval interval) =>
        ((Int128)interval.Months * 30 * 86_400_000_000L) + ((Int128)interval.Days * 86_400_000_000L) + interval.Time;
}

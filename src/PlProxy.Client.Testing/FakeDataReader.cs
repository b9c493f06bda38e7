using System.Collections;
using System.Data.Common;
using System.Globalization;

namespace PlProxy.Client.Testing;

/// <summary>
/// A fake partition's rows as the reader the call's row rules read, converting a value as Npgsql converts a column's:
/// a handler's integer or <c>decimal</c> reads as any numeric type the method asks for (checked: a value that does not
/// fit fails with <see cref="OverflowException"/>, as Npgsql's does), a <c>float</c> or <c>double</c> as either, and anything
/// else only as its own type, failing with an <see cref="InvalidCastException"/> that names the column, the value's
/// type and the type asked for. Each row's values keep their own types (a column may hold an <c>int</c> in one row and
/// a <c>long</c> in the next).
/// </summary>
internal sealed class FakeDataReader(IReadOnlyList<string> columns, IReadOnlyList<object?[]> rows) : DbDataReader
{
    private int _row = -1;
    private bool _closed;

    public override int FieldCount => columns.Count;

    public override bool HasRows => rows.Count > 0;

    public override bool IsClosed => _closed;

    public override int RecordsAffected => -1;

    public override int Depth => 0;

    public override object this[int ordinal] => GetValue(ordinal);

    public override object this[string name] => GetValue(GetOrdinal(name));

    public override bool Read()
    {
        if (_closed || _row >= rows.Count)
        {
            return false;
        }

        _row++;
        return _row < rows.Count;
    }

    public override bool NextResult()
    {
        _row = rows.Count;
        return false;
    }

    public override void Close() => _closed = true;

    public override string GetName(int ordinal) => columns[ordinal];

    public override int GetOrdinal(string name)
    {
        for (int i = 0; i < columns.Count; i++)
        {
            if (string.Equals(columns[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        for (int i = 0; i < columns.Count; i++)
        {
            if (string.Equals(columns[i], name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        throw new IndexOutOfRangeException($"The fake rows have no column {name} (they have {string.Join(", ", columns)}).");
    }

    // The column's type is that of its first value that is not NULL, as a table's column has one type.
    public override Type GetFieldType(int ordinal) =>
        rows.Select(r => r[ordinal]?.GetType()).FirstOrDefault(t => t is not null) ?? typeof(object);

    public override string GetDataTypeName(int ordinal) => GetFieldType(ordinal).Name;

    public override bool IsDBNull(int ordinal) => Current[ordinal] is null or DBNull;

    public override object GetValue(int ordinal) => Current[ordinal] ?? DBNull.Value;

    public override int GetValues(object[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        int count = Math.Min(values.Length, FieldCount);
        for (int i = 0; i < count; i++)
        {
            values[i] = GetValue(i);
        }

        return count;
    }

    public override T GetFieldValue<T>(int ordinal)
    {
        object value = GetValue(ordinal);
        Type? underlying = Nullable.GetUnderlyingType(typeof(T));
        return value switch
        {
            T same => same, // object included: NULL read as object is DBNull, as Npgsql gives it
            DBNull when underlying is not null => default!,
            DBNull => throw new InvalidCastException($"Column {columns[ordinal]} is NULL; read it as a nullable type."),
            _ when Converted(value, underlying ?? typeof(T)) is { } converted => (T)converted,
            _ => throw new InvalidCastException(
                $"Column {columns[ordinal]} holds a {value.GetType().Name} ({Convert.ToString(value, CultureInfo.InvariantCulture)}), which the method cannot read as {(underlying ?? typeof(T)).Name}: give the handler's row a value of the type the method reads."),
        };
    }

    public override bool GetBoolean(int ordinal) => GetFieldValue<bool>(ordinal);

    public override byte GetByte(int ordinal) => GetFieldValue<byte>(ordinal);

    public override char GetChar(int ordinal) => GetFieldValue<char>(ordinal);

    public override DateTime GetDateTime(int ordinal) => GetFieldValue<DateTime>(ordinal);

    public override decimal GetDecimal(int ordinal) => GetFieldValue<decimal>(ordinal);

    public override double GetDouble(int ordinal) => GetFieldValue<double>(ordinal);

    public override float GetFloat(int ordinal) => GetFieldValue<float>(ordinal);

    public override Guid GetGuid(int ordinal) => GetFieldValue<Guid>(ordinal);

    public override short GetInt16(int ordinal) => GetFieldValue<short>(ordinal);

    public override int GetInt32(int ordinal) => GetFieldValue<int>(ordinal);

    public override long GetInt64(int ordinal) => GetFieldValue<long>(ordinal);

    public override string GetString(int ordinal) => GetFieldValue<string>(ordinal);

    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length) =>
        Copy(GetFieldValue<byte[]>(ordinal), dataOffset, buffer, bufferOffset, length);

    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length) =>
        Copy(GetFieldValue<string>(ordinal).ToCharArray(), dataOffset, buffer, bufferOffset, length);

    public override IEnumerator GetEnumerator() => new DbEnumerator(this);

    private object?[] Current => _row >= 0 && _row < rows.Count
        ? rows[_row]
        : throw new InvalidOperationException("No row is current: call Read first.");

    // What Npgsql reads a number column as: an integer or numeric column as any numeric type (checked), a real or a
    // double precision as a float or a double; nothing else changes type.
    private static object? Converted(object value, Type target)
    {
        if (value is float or double && (target == typeof(double) || target == typeof(float)))
        {
            double real = Convert.ToDouble(value, CultureInfo.InvariantCulture);
            return target == typeof(double) ? real : (object)(float)real;
        }

        decimal? number = value switch
        {
            sbyte v => v,
            byte v => v,
            short v => v,
            ushort v => v,
            int v => v,
            uint v => v,
            long v => v,
            ulong v => v,
            decimal v => v,
            _ => null,
        };
        return number is not { } n || target.IsEnum ? null : Type.GetTypeCode(target) switch
        {
            TypeCode.SByte => sbyte.CreateChecked(n),
            TypeCode.Byte => byte.CreateChecked(n),
            TypeCode.Int16 => short.CreateChecked(n),
            TypeCode.Int32 => int.CreateChecked(n),
            TypeCode.Int64 => long.CreateChecked(n),
            TypeCode.Single => float.CreateChecked(n),
            TypeCode.Double => double.CreateChecked(n),
            TypeCode.Decimal => n,
            _ => null,
        };
    }

    private static long Copy<TElement>(TElement[] data, long dataOffset, TElement[]? buffer, int bufferOffset, int length)
    {
        if (buffer is null)
        {
            return data.Length;
        }

        int count = (int)Math.Clamp(data.Length - dataOffset, 0, length);
        Array.Copy(data, dataOffset, buffer, bufferOffset, count);
        return count;
    }
}

using System.Buffers.Binary;
using System.Data.Common;

namespace PlProxy.Client.Execution;

/// <summary>
/// A <c>numeric</c> merge key as PostgreSQL sends it in binary — base-10000 digits, a weight, a sign — so that every
/// value orders exactly as <c>cmp_numerics</c> orders it: any precision and scale (<see cref="decimal"/> holds 28
/// digits), NaN above everything and equal to itself, <c>Infinity</c> above and <c>-Infinity</c> below every number,
/// and 1.0 equal to 1.00 (the display scale does not count).
/// </summary>
internal sealed class PgNumeric
{
    // The sign word of the binary form (numeric.c: NUMERIC_POS, NUMERIC_NEG, NUMERIC_NAN, NUMERIC_PINF, NUMERIC_NINF).
    private const ushort Positive = 0x0000;
    private const ushort Negative = 0x4000;
    private const ushort NaN = 0xC000;
    private const ushort PositiveInfinity = 0xD000;
    private const ushort NegativeInfinity = 0xF000;

    private readonly int _class; // -2 -Infinity, -1 a negative number, 0 zero, 1 a positive number, 2 Infinity, 3 NaN
    private readonly int _weight; // the power of 10000 of the first digit
    private readonly short[] _digits; // without leading or trailing zero digits

    private PgNumeric(int @class, int weight, short[] digits)
    {
        _class = @class;
        _weight = weight;
        _digits = digits;
    }

    /// <summary>The numeric at <paramref name="ordinal"/> of the current row (not NULL), from its binary form.</summary>
    public static PgNumeric Read(DbDataReader reader, int ordinal)
    {
        using Stream stream = reader.GetStream(ordinal);
        Span<byte> header = stackalloc byte[8];
        stream.ReadExactly(header);
        int count = BinaryPrimitives.ReadInt16BigEndian(header);
        int weight = BinaryPrimitives.ReadInt16BigEndian(header[2..]);
        ushort sign = BinaryPrimitives.ReadUInt16BigEndian(header[4..]);
        byte[] bytes = new byte[count * 2];
        stream.ReadExactly(bytes);
        return sign switch
        {
            NaN => new PgNumeric(3, 0, []),
            PositiveInfinity => new PgNumeric(2, 0, []),
            NegativeInfinity => new PgNumeric(-2, 0, []),
            Positive or Negative => Finite(sign == Negative, weight, bytes),
            _ => throw new InvalidDataException($"A numeric's binary form has the sign word 0x{sign:X4}, which PostgreSQL does not send."),
        };
    }

    /// <summary>A <see cref="decimal"/> in the same form (a test executor's rows hold .NET values).</summary>
    public static PgNumeric Of(decimal value)
    {
        string text = Math.Abs(value).ToString(System.Globalization.CultureInfo.InvariantCulture);
        int point = text.IndexOf('.', StringComparison.Ordinal);
        string whole = point < 0 ? text : text[..point];
        string fraction = point < 0 ? "" : text[(point + 1)..];
        whole = whole.PadLeft((whole.Length + 3) / 4 * 4, '0'); // base-10000 digits: groups of four decimal digits
        fraction = fraction.PadRight((fraction.Length + 3) / 4 * 4, '0');
        string digits = whole + fraction;
        byte[] bytes = new byte[digits.Length / 2];
        for (int i = 0; i < digits.Length / 4; i++)
        {
            BinaryPrimitives.WriteInt16BigEndian(bytes.AsSpan(i * 2), short.Parse(digits.AsSpan(i * 4, 4), provider: System.Globalization.CultureInfo.InvariantCulture));
        }

        return Finite(value < 0, (whole.Length / 4) - 1, bytes);
    }

    /// <summary>The order of two numerics as PostgreSQL's <c>ORDER BY</c> has it (ascending).</summary>
    public static int Compare(PgNumeric x, PgNumeric y)
    {
        if (x._class != y._class || x._class is 0 or 2 or 3 or -2)
        {
            return x._class.CompareTo(y._class);
        }

        int magnitude = CompareMagnitudes(x, y);
        return x._class > 0 ? magnitude : -magnitude;
    }

    private static PgNumeric Finite(bool negative, int weight, byte[] bytes)
    {
        int first = 0, last = (bytes.Length / 2) - 1;
        while (first <= last && Digit(bytes, first) == 0)
        {
            first++;
        }

        while (last >= first && Digit(bytes, last) == 0)
        {
            last--;
        }

        if (first > last)
        {
            return new PgNumeric(0, 0, []);
        }

        var digits = new short[last - first + 1];
        for (int i = 0; i < digits.Length; i++)
        {
            digits[i] = Digit(bytes, first + i);
        }

        return new PgNumeric(negative ? -1 : 1, weight - first, digits);

        static short Digit(byte[] bytes, int index) => BinaryPrimitives.ReadInt16BigEndian(bytes.AsSpan(index * 2));
    }

    // cmp_abs_common: both normalised, so the weight of the first digit decides, then the digits in turn, then length.
    private static int CompareMagnitudes(PgNumeric x, PgNumeric y)
    {
        if (x._weight != y._weight)
        {
            return x._weight.CompareTo(y._weight);
        }

        int common = Math.Min(x._digits.Length, y._digits.Length);
        for (int i = 0; i < common; i++)
        {
            if (x._digits[i] != y._digits[i])
            {
                return x._digits[i].CompareTo(y._digits[i]);
            }
        }

        return x._digits.Length.CompareTo(y._digits.Length);
    }
}

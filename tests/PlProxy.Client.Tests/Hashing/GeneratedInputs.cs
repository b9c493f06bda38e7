using System.Text;

namespace PlProxy.Client.Tests.Hashing;

/// <summary>Deterministic generated inputs for the bit-exactness tests (a fixed seed per set, so failures repeat).</summary>
internal static class GeneratedInputs
{
    /// <summary>Printable ASCII strings of every length from 0 to <paramref name="maxLength"/>, <paramref name="perLength"/> each.</summary>
    public static string[] AsciiOfEveryLength(int maxLength, int perLength, int seed)
    {
        var random = new Random(seed);
        var values = new List<string>();
        for (int length = 0; length <= maxLength; length++)
        {
            for (int n = 0; n < perLength; n++)
            {
                values.Add(RandomString(random, length, () => (char)random.Next(0x20, 0x7f)));
            }
        }

        return [.. values];
    }

    /// <summary>Strings mixing 1-, 2-, 3- and 4-byte UTF-8 characters (surrogate pairs included), lengths 0 to <paramref name="maxLength"/>.</summary>
    public static string[] Multibyte(int count, int maxLength, int seed)
    {
        var random = new Random(seed);
        var values = new string[count];
        for (int i = 0; i < count; i++)
        {
            int length = random.Next(0, maxLength + 1);
            var builder = new StringBuilder(length * 2);
            while (builder.Length < length)
            {
                builder.Append(random.Next(5) switch
                {
                    0 => ((char)random.Next(0x20, 0x7f)).ToString(),       // 1 byte
                    1 => ((char)random.Next(0x80, 0x800)).ToString(),      // 2 bytes: Latin-1 supplement, Greek, Cyrillic ...
                    2 => ((char)random.Next(0x800, 0xd800)).ToString(),    // 3 bytes: CJK and friends, below the surrogates
                    3 => ((char)random.Next(0xe000, 0xfffe)).ToString(),   // 3 bytes: above the surrogates
                    _ => char.ConvertFromUtf32(random.Next(0x10000, 0x110000)), // 4 bytes: a surrogate pair
                });
            }

            values[i] = builder.ToString();
        }

        return values;
    }

    /// <summary>Long strings (the pooled-buffer path), ASCII and multi-byte.</summary>
    public static string[] Long(int count, int length, int seed)
    {
        var random = new Random(seed);
        string[] multibyte = Multibyte(count / 2, length, seed + 1);
        return
        [
            .. Enumerable.Range(0, count - multibyte.Length).Select(_ => RandomString(random, length, () => (char)random.Next(0x20, 0x7f))),
            .. multibyte.Select(s => s.PadRight(length, 'é')),
        ];
    }

    public static long[] Int64s(int count, int seed)
    {
        var random = new Random(seed);
        long[] edges = [0, 1, -1, long.MaxValue, long.MinValue, int.MaxValue, int.MinValue, (long)int.MaxValue + 1, (long)int.MinValue - 1, 4294967296, -4294967296, uint.MaxValue];
        return [.. edges, .. Enumerable.Range(0, count - edges.Length).Select(i => i % 2 == 0 ? random.NextInt64(long.MinValue, long.MaxValue) : random.NextInt64(-100_000, 100_000))];
    }

    public static int[] Int32s(int count, int seed)
    {
        var random = new Random(seed);
        int[] edges = [0, 1, -1, int.MaxValue, int.MinValue, short.MaxValue, short.MinValue];
        return [.. edges, .. Enumerable.Range(0, count - edges.Length).Select(_ => random.Next(int.MinValue, int.MaxValue))];
    }

    public static short[] Int16s(int count, int seed)
    {
        var random = new Random(seed);
        short[] edges = [0, 1, -1, short.MaxValue, short.MinValue];
        return [.. edges, .. Enumerable.Range(0, count - edges.Length).Select(_ => (short)random.Next(short.MinValue, short.MaxValue + 1))];
    }

    public static Guid[] Guids(int count, int seed)
    {
        var random = new Random(seed);
        return
        [
            Guid.Empty,
            Guid.AllBitsSet,
            .. Enumerable.Range(0, count - 2).Select(_ =>
            {
                Span<byte> bytes = stackalloc byte[16];
                random.NextBytes(bytes);
                return new Guid(bytes);
            }),
        ];
    }

    private static string RandomString(Random random, int length, Func<char> next) =>
        string.Create(length, next, static (span, next) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = next();
            }
        });
}

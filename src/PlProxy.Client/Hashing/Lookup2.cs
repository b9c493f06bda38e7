using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace PlProxy.Client.Hashing;

/// <summary>
/// Bob Jenkins' lookup2 (1996), the <c>hash_any</c> of PostgreSQL 7.x–8.3. PostgreSQL called it with
/// <c>a = b = 0x9e3779b9</c> and the initial value <c>c = 3923095</c>; the total length is added to
/// <c>c</c> before the tail, whose lowest byte of <c>c</c> is left for it.
/// </summary>
internal static class Lookup2
{
    private const uint Golden = 0x9e3779b9;

    /// <summary>The initial value PostgreSQL 8.3's <c>hash_any</c> passes as Jenkins' <c>initval</c>.</summary>
    public const uint PostgresInitialValue = 3923095;

    /// <summary>Jenkins' <c>hash(k, length, initval)</c> over little-endian bytes.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static uint Hash(ReadOnlySpan<byte> k, uint initialValue)
    {
        uint a = Golden, b = Golden, c = initialValue;
        int total = k.Length;

        while (k.Length >= 12)
        {
            a += BinaryPrimitives.ReadUInt32LittleEndian(k);
            b += BinaryPrimitives.ReadUInt32LittleEndian(k[4..]);
            c += BinaryPrimitives.ReadUInt32LittleEndian(k[8..]);
            Mix(ref a, ref b, ref c);
            k = k[12..];
        }

        c += (uint)total;
        switch (k.Length)
        {
            case 11: c += (uint)k[10] << 24; goto case 10;
            case 10: c += (uint)k[9] << 16; goto case 9;
            case 9: c += (uint)k[8] << 8; goto case 8;
            case 8: b += (uint)k[7] << 24; goto case 7;
            case 7: b += (uint)k[6] << 16; goto case 6;
            case 6: b += (uint)k[5] << 8; goto case 5;
            case 5: b += k[4]; goto case 4;
            case 4: a += (uint)k[3] << 24; goto case 3;
            case 3: a += (uint)k[2] << 16; goto case 2;
            case 2: a += (uint)k[1] << 8; goto case 1;
            case 1: a += k[0]; break;
        }

        Mix(ref a, ref b, ref c);
        return c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Mix(ref uint a, ref uint b, ref uint c)
    {
        a -= b; a -= c; a ^= c >> 13;
        b -= c; b -= a; b ^= a << 8;
        c -= a; c -= b; c ^= b >> 13;
        a -= b; a -= c; a ^= c >> 12;
        b -= c; b -= a; b ^= a << 16;
        c -= a; c -= b; c ^= b >> 5;
        a -= b; a -= c; a ^= c >> 3;
        b -= c; b -= a; b ^= a << 10;
        c -= a; c -= b; c ^= b >> 15;
    }
}

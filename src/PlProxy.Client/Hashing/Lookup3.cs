using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace PlProxy.Client.Hashing;

/// <summary>
/// Bob Jenkins' lookup3 (2006) in the form PostgreSQL 8.4 and later use for <c>hash_bytes</c>,
/// <c>hash_bytes_extended</c>, <c>hash_bytes_uint32</c> and <c>hash_bytes_uint32_extended</c>
/// (src/common/hashfn.c). PostgreSQL differs from Jenkins' reference <c>hashlittle</c> in two ways that
/// matter for bit-exactness: the length is folded into the initial state together with the constant
/// 3923095, and the final mix is applied even to an empty key.
/// </summary>
internal static class Lookup3
{
    private const uint Golden = 0x9e3779b9;
    private const uint PostgresInitial = 3923095;

    /// <summary>hash_bytes: the 32-bit hash of <paramref name="key"/>.</summary>
    // Not inlined: inlined into a caller with more locals, the JIT keeps a, b and c in memory (7x slower at 4 KiB).
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static uint Hash(ReadOnlySpan<byte> key)
    {
        uint a, b, c;
        a = b = c = Golden + (uint)key.Length + PostgresInitial;
        Absorb(key, ref a, ref b, ref c);
        Final(ref a, ref b, ref c);
        return c;
    }

    /// <summary>hash_bytes_extended: the 64-bit seeded hash of <paramref name="key"/>.</summary>
    // Not inlined: inlined into a caller with more locals, the JIT keeps a, b and c in memory (7x slower at 4 KiB).
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static ulong HashExtended(ReadOnlySpan<byte> key, ulong seed)
    {
        uint a, b, c;
        a = b = c = Golden + (uint)key.Length + PostgresInitial;
        Seed(seed, ref a, ref b, ref c);
        Absorb(key, ref a, ref b, ref c);
        Final(ref a, ref b, ref c);
        return ((ulong)b << 32) | c;
    }

    /// <summary>hash_bytes_uint32: the hash of one 4-byte integer, as the integer hash opclasses use it.</summary>
    public static uint HashUInt32(uint value)
    {
        uint a, b, c;
        a = b = c = Golden + sizeof(uint) + PostgresInitial;
        a += value;
        Final(ref a, ref b, ref c);
        return c;
    }

    /// <summary>hash_bytes_uint32_extended: the 64-bit seeded hash of one 4-byte integer.</summary>
    public static ulong HashUInt32Extended(uint value, ulong seed)
    {
        uint a, b, c;
        a = b = c = Golden + sizeof(uint) + PostgresInitial;
        Seed(seed, ref a, ref b, ref c);
        a += value;
        Final(ref a, ref b, ref c);
        return ((ulong)b << 32) | c;
    }

    // A non-zero seed is treated as a 12-byte block (seed high word, seed low word, zero) mixed in first.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Seed(ulong seed, ref uint a, ref uint b, ref uint c)
    {
        if (seed != 0)
        {
            a += (uint)(seed >> 32);
            b += (uint)seed;
            Mix(ref a, ref b, ref c);
        }
    }

    // Consumes whole 12-byte blocks, then the 0..11 tail bytes little-endian. The lowest byte of c is
    // never written by the tail (PostgreSQL "reserves" it for the length, which is in the initial state).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Absorb(ReadOnlySpan<byte> k, ref uint a, ref uint b, ref uint c)
    {
        while (k.Length >= 12)
        {
            a += BinaryPrimitives.ReadUInt32LittleEndian(k);
            b += BinaryPrimitives.ReadUInt32LittleEndian(k[4..]);
            c += BinaryPrimitives.ReadUInt32LittleEndian(k[8..]);
            Mix(ref a, ref b, ref c);
            k = k[12..];
        }

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
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Mix(ref uint a, ref uint b, ref uint c)
    {
        a -= c; a ^= BitOperations.RotateLeft(c, 4); c += b;
        b -= a; b ^= BitOperations.RotateLeft(a, 6); a += c;
        c -= b; c ^= BitOperations.RotateLeft(b, 8); b += a;
        a -= c; a ^= BitOperations.RotateLeft(c, 16); c += b;
        b -= a; b ^= BitOperations.RotateLeft(a, 19); a += c;
        c -= b; c ^= BitOperations.RotateLeft(b, 4); b += a;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Final(ref uint a, ref uint b, ref uint c)
    {
        c ^= b; c -= BitOperations.RotateLeft(b, 14);
        a ^= c; a -= BitOperations.RotateLeft(c, 11);
        b ^= a; b -= BitOperations.RotateLeft(a, 25);
        c ^= b; c -= BitOperations.RotateLeft(b, 16);
        a ^= c; a -= BitOperations.RotateLeft(c, 4);
        b ^= a; b -= BitOperations.RotateLeft(a, 14);
        c ^= b; c -= BitOperations.RotateLeft(b, 24);
    }
}

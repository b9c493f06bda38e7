using System.Runtime.CompilerServices;

namespace PlProxy.Client.Hashing;

/// <summary>
/// Bit-exact managed ports of PostgreSQL's built-in hash functions, the ones PL/Proxy's
/// <c>RUN ON hashtext(...)</c> and friends evaluate in the proxy database.
/// </summary>
/// <remarks>
/// <para>Results are the signed <c>int4</c>/<c>int8</c> values PostgreSQL returns. Text is hashed as its
/// UTF-8 bytes, which is what <c>hashtext</c> does in a UTF-8 database under a deterministic collation.
/// Under a nondeterministic (ICU) collation PostgreSQL hashes a sort key instead; no managed port can
/// reproduce that.</para>
/// <para>None of these methods allocates: text of up to 341 UTF-16 units is encoded on the stack, longer
/// text in a pooled buffer.</para>
/// </remarks>
[SkipLocalsInit]
public static class PgHash
{
    /// <summary><c>hashtext(value)</c> of PostgreSQL 8.4 and later in a UTF-8 database (lookup3 over the UTF-8 bytes).</summary>
    /// <param name="value">The text to hash.</param>
    /// <returns>The value PostgreSQL's <c>hashtext</c> returns.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null (SQL <c>hashtext(NULL)</c> is NULL, not a hash).</exception>
    /// <exception cref="ArgumentException"><paramref name="value"/> holds a lone surrogate or a NUL character, which no PostgreSQL text can hold.</exception>
    public static int HashText(string value)
    {
        using Utf8Text utf8 = Utf8Text.Encode(value, stackalloc byte[Utf8Text.StackBufferSize], nameof(value));
        return (int)Lookup3.Hash(utf8.Bytes);
    }

    /// <summary><c>hash_any</c> / <c>hash_bytes</c> over raw bytes, e.g. <c>hashtext</c> of text in another encoding or <c>hashvarlena</c> of <c>bytea</c>.</summary>
    /// <param name="data">The bytes to hash.</param>
    /// <returns>The 32-bit hash as PostgreSQL's signed <c>int4</c>.</returns>
    public static int HashBytes(ReadOnlySpan<byte> data) => (int)Lookup3.Hash(data);

    /// <summary><c>hashint2(value)</c>: the value is widened to <c>int4</c> (sign-extended) and hashed like <see cref="HashInt4"/>.</summary>
    /// <param name="value">The <c>int2</c> to hash.</param>
    /// <returns>The value PostgreSQL's <c>hashint2</c> returns.</returns>
    public static int HashInt2(short value) => (int)Lookup3.HashUInt32((uint)(int)value);

    /// <summary><c>hashint4(value)</c>.</summary>
    /// <param name="value">The <c>int4</c> to hash.</param>
    /// <returns>The value PostgreSQL's <c>hashint4</c> returns.</returns>
    public static int HashInt4(int value) => (int)Lookup3.HashUInt32((uint)value);

    /// <summary>
    /// <c>hashint8(value)</c>: the high word is folded into the low word (inverted for negative values, so that
    /// an <c>int8</c> equal to an <c>int4</c> hashes alike) and the result hashed like <see cref="HashInt4"/>.
    /// </summary>
    /// <param name="value">The <c>int8</c> to hash.</param>
    /// <returns>The value PostgreSQL's <c>hashint8</c> returns.</returns>
    public static int HashInt8(long value) => (int)Lookup3.HashUInt32(FoldInt8(value));

    /// <summary><c>uuid_hash(value)</c>: the 16 bytes in RFC 4122 (network) order, as PostgreSQL stores a <c>uuid</c>.</summary>
    /// <param name="value">The UUID to hash.</param>
    /// <returns>The value PostgreSQL's <c>uuid_hash</c> returns.</returns>
    public static int HashUuid(Guid value)
    {
        Span<byte> bytes = stackalloc byte[16];
        value.TryWriteBytes(bytes, bigEndian: true, out _);
        return (int)Lookup3.Hash(bytes);
    }

    /// <summary><c>hashtextextended(value, seed)</c> (PostgreSQL 11 and later).</summary>
    /// <param name="value">The text to hash.</param>
    /// <param name="seed">The seed; 0 gives a hash whose low 32 bits equal <see cref="HashText"/>.</param>
    /// <returns>The value PostgreSQL's <c>hashtextextended</c> returns.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="value"/> holds a lone surrogate or a NUL character.</exception>
    public static long HashTextExtended(string value, long seed)
    {
        using Utf8Text utf8 = Utf8Text.Encode(value, stackalloc byte[Utf8Text.StackBufferSize], nameof(value));
        return (long)Lookup3.HashExtended(utf8.Bytes, (ulong)seed);
    }

    /// <summary><c>hashint8extended(value, seed)</c> (PostgreSQL 11 and later).</summary>
    /// <param name="value">The <c>int8</c> to hash.</param>
    /// <param name="seed">The seed.</param>
    /// <returns>The value PostgreSQL's <c>hashint8extended</c> returns.</returns>
    public static long HashInt8Extended(long value, long seed) => (long)Lookup3.HashUInt32Extended(FoldInt8(value), (ulong)seed);

    /// <summary>
    /// <c>hashtext(value)</c> of PostgreSQL 8.3 and older (Jenkins' lookup2 over the UTF-8 bytes), for clusters
    /// partitioned before 8.4 that keep their old layout.
    /// </summary>
    /// <param name="value">The text to hash.</param>
    /// <returns>The value PostgreSQL 8.3's <c>hashtext</c> returned.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="value"/> holds a lone surrogate or a NUL character.</exception>
    public static int LegacyHashText(string value)
    {
        using Utf8Text utf8 = Utf8Text.Encode(value, stackalloc byte[Utf8Text.StackBufferSize], nameof(value));
        return (int)Lookup2.Hash(utf8.Bytes, Lookup2.PostgresInitialValue);
    }

    private static uint FoldInt8(long value)
    {
        uint low = (uint)value;
        uint high = (uint)(value >> 32);
        return low ^ (value >= 0 ? high : ~high);
    }
}

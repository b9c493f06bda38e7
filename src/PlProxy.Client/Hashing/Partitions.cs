namespace PlProxy.Client.Hashing;

/// <summary>Maps a hash to a partition index exactly as PL/Proxy does.</summary>
/// <remarks>
/// Hash functions returning <c>int2</c> or <c>int4</c> are widened (sign-extended) to <c>int8</c> before
/// mapping, as PL/Proxy widens them; pass the widened value.
/// </remarks>
public static class Partitions
{
    /// <summary>
    /// PL/Proxy's default mapping: <c>hash &amp; (partitionCount - 1)</c>. A negative hash maps through the
    /// mask like any other (two's complement), so every hash lands on a partition.
    /// </summary>
    /// <param name="hash">The hash, widened to 64 bits.</param>
    /// <param name="partitionCount">The number of partitions: a power of two, at least 1.</param>
    /// <returns>The partition index, from 0 to <paramref name="partitionCount"/> - 1.</returns>
    /// <exception cref="ArgumentException"><paramref name="partitionCount"/> is not a power of two.</exception>
    public static int IndexOf(long hash, int partitionCount)
    {
        if (partitionCount <= 0 || (partitionCount & (partitionCount - 1)) != 0)
        {
            ThrowNotPowerOfTwo(partitionCount);
        }

        return (int)(hash & (partitionCount - 1));
    }

    /// <summary>
    /// PL/Proxy's <c>modular_mapping</c>: <c>abs(hash % partitionCount)</c> with C's truncating remainder,
    /// so any partition count is allowed.
    /// </summary>
    /// <param name="hash">The hash, widened to 64 bits.</param>
    /// <param name="partitionCount">The number of partitions, at least 1.</param>
    /// <returns>The partition index, from 0 to <paramref name="partitionCount"/> - 1.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="partitionCount"/> is less than 1.</exception>
    public static int ModularIndexOf(long hash, int partitionCount)
    {
        if (partitionCount <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(partitionCount), partitionCount,
                $"A cluster needs at least one partition; the partition count was {partitionCount}.");
        }

        // C99 and C# both truncate toward zero, so the remainder has the hash's sign; its magnitude is below the count.
        long remainder = hash % partitionCount;
        return (int)(remainder < 0 ? -remainder : remainder);
    }

    private static void ThrowNotPowerOfTwo(int partitionCount) =>
        throw new ArgumentException(
            $"The partition count must be a power of two (1, 2, 4, 8, ...) for PL/Proxy's hash mapping, but it was {partitionCount}. Use modular mapping for other counts.",
            nameof(partitionCount));
}

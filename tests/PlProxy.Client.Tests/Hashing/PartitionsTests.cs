using PlProxy.Client.Hashing;

namespace PlProxy.Client.Tests.Hashing;

public sealed class PartitionsTests
{
    [Theory]
    [InlineData(0L, 4, 0)]
    [InlineData(5L, 4, 1)]
    [InlineData(-1L, 4, 3)]
    [InlineData(-1892750095L, 8, 1)]
    [InlineData(long.MinValue, 16, 0)]
    [InlineData(long.MaxValue, 16, 15)]
    [InlineData(12345L, 1, 0)]
    public void IndexOf_MasksTheHash(long hash, int partitionCount, int expected) =>
        Assert.Equal(expected, Partitions.IndexOf(hash, partitionCount));

    [Fact]
    public void IndexOf_OfNegativeInt4Hash_UsesItsSignExtension()
    {
        // An int4 hash is widened before masking; with 2^31 partitions the sign bit decides.
        int hash = PgHash.HashText("pgcon1");

        Assert.Equal((int)((long)hash & (1L << 30) - 1), Partitions.IndexOf(hash, 1 << 30));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(-4)]
    [InlineData(12)]
    public void IndexOf_WithCountNotPowerOfTwo_ThrowsNamingTheCount(int partitionCount)
    {
        var error = Assert.Throws<ArgumentException>(() => Partitions.IndexOf(1, partitionCount));

        Assert.Contains($"was {partitionCount}", error.Message, StringComparison.Ordinal);
        Assert.Equal("partitionCount", error.ParamName);
    }

    [Theory]
    [InlineData(7L, 3, 1)]
    [InlineData(-7L, 3, 1)]
    [InlineData(-6L, 3, 0)]
    [InlineData(long.MinValue, 3, 2)]
    [InlineData(long.MinValue, 7, 1)]
    [InlineData(long.MaxValue, 10, 7)]
    [InlineData(-1892750095L, 5, 0)]
    public void ModularIndexOf_TakesAbsoluteTruncatedRemainder(long hash, int partitionCount, int expected) =>
        Assert.Equal(expected, Partitions.ModularIndexOf(hash, partitionCount));

    [Fact]
    public void ModularIndexOf_WithZeroPartitions_ThrowsNamingTheCount()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Partitions.ModularIndexOf(1, 0));

        // Our sentence, not only the "Actual value was 0." the framework appends to every such exception.
        Assert.StartsWith("A cluster needs at least one partition; the partition count was 0.", error.Message, StringComparison.Ordinal);
    }
}

using PlProxy.Client.Execution;

namespace PlProxy.Client.Tests.Execution;

/// <summary>The one place a SPLIT argument is cut to the elements a database receives.</summary>
public sealed class SplitValuesTests
{
    [Fact]
    public void Cut_OfTypedArray_KeepsTheElementTypeAndTheRowOrder()
    {
        object? cut = SplitValues.Cut(new long[] { 10, 11, 12, 13, 14 }, [4, 1, 3]);

        Assert.Equal(new long[] { 14, 11, 13 }, Assert.IsType<long[]>(cut));
    }

    [Fact]
    public void Cut_OfList_GivesAnObjectArrayInRowOrder()
    {
        object? cut = SplitValues.Cut(new List<string?> { "a", null, "c", "d" }, [3, 1, 0]);

        Assert.Equal(new object?[] { "d", null, "a" }, Assert.IsType<object?[]>(cut));
    }

    [Fact]
    public void Cut_OfNull_IsNull()
    {
        Assert.Null(SplitValues.Cut(null, [0]));
        Assert.Same(DBNull.Value, SplitValues.Cut(DBNull.Value, [0]));
    }

    [Fact]
    public void Cut_OfScalar_NamesItsType() =>
        Assert.Equal(
            "a SPLIT argument is a Int32, not an array or list",
            Assert.Throws<PlProxyException>(() => SplitValues.Cut(42, [0])).Message);
}

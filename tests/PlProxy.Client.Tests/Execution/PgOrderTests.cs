using PlProxy.Client.Execution;

namespace PlProxy.Client.Tests.Execution;

/// <summary>Where PostgreSQL's order differs from .NET's, the merge's comparison follows PostgreSQL.</summary>
public sealed class PgOrderTests
{
    [Theory]
    [InlineData(double.NaN, double.PositiveInfinity, 1)]
    [InlineData(double.NaN, double.NaN, 0)]
    [InlineData(-0.0, 0.0, 0)]
    [InlineData(double.NegativeInfinity, -1e300, -1)]
    public void Floats_OrderNaNAboveEverythingAndMinusZeroAsZero(double x, double y, int expected) =>
        Assert.Equal(expected, Math.Sign(PgOrder.Compare(x, y, MergeKeyKind.Float8)));

    [Fact]
    public void Uuids_OrderByTheirBytesAsWritten()
    {
        var low = Guid.Parse("00000001-0000-0000-0000-000000000000");
        var high = Guid.Parse("01000000-0000-0000-0000-000000000000");

        Assert.True(PgOrder.Compare(low, high, MergeKeyKind.Uuid) < 0);
        Assert.True(low.ToByteArray().AsSpan().SequenceCompareTo(high.ToByteArray()) > 0); // the mixed-endian bytes would say otherwise
    }

    [Fact]
    public void Text_OrdersByCodePointAsUtf8BytesDo()
    {
        const string AboveBmp = "\U0001F600"; // a surrogate pair in UTF-16
        const string PrivateUse = "\uE000";

        Assert.True(PgOrder.Compare(PrivateUse, AboveBmp, MergeKeyKind.Text) < 0);
        Assert.True(string.CompareOrdinal(PrivateUse, AboveBmp) > 0); // UTF-16 code units order them the other way
        Assert.True(PgOrder.Compare("a", "ab", MergeKeyKind.Text) < 0);
    }
}

using PlProxy.Client.Language;

namespace PlProxy.Client.Tests.Language;

/// <summary>[MergeOrder]'s text read as an ORDER BY list, with PostgreSQL's defaults for NULLs.</summary>
public sealed class MergeOrderTests
{
    [Fact]
    public void OrderList_IsReadWithPostgresDefaultsForNulls()
    {
        MergeKey[]? keys = MergeOrder.Parse("created_at DESC, id, title COLLATE \"C\" asc nulls first, score desc NULLS LAST", out string? error);

        Assert.Null(error);
        Assert.Equal(
            [new MergeKey("created_at", true, true, null), new MergeKey("id", false, false, null), new MergeKey("title", false, true, "C"), new MergeKey("score", true, false, null)],
            keys!);
    }

    [Theory]
    [InlineData("", "a key is empty")]
    [InlineData("id,", "a key is empty")]
    [InlineData("id sideways", "'sideways' after 'id' is not ASC, DESC")]
    [InlineData("id, ID", "'ID' is given twice")]
    [InlineData("1id", "'1id' is not a column name")]
    [InlineData("t COLLATE C", "COLLATE of 't' must name a collation in double quotes")]
    public void UnreadableOrder_SaysWhatIsWrong(string text, string expected)
    {
        Assert.Null(MergeOrder.Parse(text, out string? error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }
}

using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Scaffold.Tests.Verbs;

/// <summary>Names as the tool's SQL text writes them: whatever they hold stays one name.</summary>
public sealed class SqlIdentifierTests
{
    [Theory]
    [InlineData("orders", "\"orders\"")]
    [InlineData("Orders", "\"Orders\"")]
    [InlineData("a.b", "\"a.b\"")]
    [InlineData("x\"; drop table t; --", "\"x\"\"; drop table t; --\"")]
    public void Quote_KeepsAnyNameOneIdentifier(string name, string quoted) =>
        Assert.Equal(quoted, SqlIdentifier.Quote(name));

    [Theory]
    [InlineData("orders", "\"orders\"")]
    [InlineData("sales.orders", "\"sales\".\"orders\"")]
    [InlineData("sales.Or\"ders", "\"sales\".\"Or\"\"ders\"")]
    public void QuoteQualified_QuotesEachPart(string name, string quoted) =>
        Assert.Equal(quoted, SqlIdentifier.QuoteQualified(name));
}

using PlProxy.Client.Language;

namespace PlProxy.Client.Tests.Language;

/// <summary>The names that go into the SQL text: function and type names as SQL writes them, and nothing else.</summary>
public sealed class SqlNamesTests
{
    [Theory]
    [InlineData("get_balance")]
    [InlineData("ops.get_balance")]
    [InlineData("\"getBalance\"")]
    [InlineData("ops.\"Get \"\"Balance\"\"\"")]
    [InlineData("ümlaut")]
    [InlineData("f$1")]
    public void FunctionName_AsSqlWritesOne_IsAFunctionName(string name) =>
        Assert.True(SqlNames.IsFunctionName(name));

    [Theory]
    [InlineData("f; drop table users")]
    [InlineData("version() union select passwd from pg_shadow --")]
    [InlineData("f(1)")]
    [InlineData("f --")]
    [InlineData("a.b.c")]
    [InlineData("1f")]
    [InlineData("\"unterminated")]
    [InlineData("")]
    public void FunctionName_WithAnythingButNames_IsNot(string name) =>
        Assert.False(SqlNames.IsFunctionName(name));

    [Theory]
    [InlineData("int4")]
    [InlineData("text[]")]
    [InlineData("int4[][]")]
    [InlineData("integer[3]")]
    [InlineData("varchar(20)")]
    [InlineData("numeric(10, 2)")]
    [InlineData("double precision")]
    [InlineData("character varying(100)")]
    [InlineData("bit varying(5)")]
    [InlineData("timestamp without time zone")]
    [InlineData("timestamp(3) with time zone")]
    [InlineData("time(6) without time zone[]")]
    [InlineData("interval day to second(3)")]
    [InlineData("interval year to month")]
    [InlineData("national character varying(3)")]
    [InlineData("public.mood")]
    [InlineData("\"Mood\"")]
    [InlineData("\"char\"")]
    [InlineData("pg_catalog.int8")]
    public void TypeName_AsSqlWritesOne_IsATypeName(string name) =>
        Assert.True(SqlNames.IsTypeName(name));

    [Theory]
    [InlineData("int4; drop table users")]
    [InlineData("int4) union select 1 --")]
    [InlineData("text union select passwd from pg_shadow")]
    [InlineData("text as r from pg_shadow")]
    [InlineData("int4 --")]
    [InlineData("int4 /* */")]
    [InlineData("varchar(x)")]
    [InlineData("text[')']")]
    [InlineData("")]
    public void TypeName_WithWordsOrSymbolsOfAQuery_IsNot(string name) =>
        Assert.False(SqlNames.IsTypeName(name));

    [Theory]
    [InlineData("orders", "\"orders\"")]
    [InlineData("Orders", "\"Orders\"")]
    [InlineData("a.b", "\"a.b\"")]
    [InlineData("x\"; drop table t; --", "\"x\"\"; drop table t; --\"")]
    public void QuoteIdentifier_KeepsAnyNameOneIdentifier(string name, string quoted) =>
        Assert.Equal(quoted, SqlNames.QuoteIdentifier(name));

    [Theory]
    [InlineData("orders", "\"orders\"")]
    [InlineData("sales.orders", "\"sales\".\"orders\"")]
    [InlineData("sales.Or\"ders", "\"sales\".\"Or\"\"ders\"")]
    public void QuoteQualified_QuotesEachPart(string name, string quoted) =>
        Assert.Equal(quoted, SqlNames.QuoteQualified(name));
}

using PlProxy.Client.Language;

namespace PlProxy.Client.Tests.Language;

/// <summary>Types as a function's signature keeps them: without the modifier a cast would apply.</summary>
public sealed class PgTypeTests
{
    [Theory]
    [InlineData("varchar(5)", "varchar")]
    [InlineData("character varying(64)", "varchar")]
    [InlineData("CHARACTER VARYING (64)[]", "varchar[]")]
    [InlineData("char(3)", "bpchar")]
    [InlineData("character", "bpchar")] // character alone is character(1) in a cast
    [InlineData("bit(4)", "\"bit\"")]
    [InlineData("bit", "\"bit\"")]
    [InlineData("bit varying(8)", "varbit")]
    [InlineData("numeric(12,2)", "numeric")]
    [InlineData("decimal(6, 2)", "numeric")]
    [InlineData("pg_catalog.numeric(6,2)", "pg_catalog.numeric")]
    [InlineData("timestamp(0)", "timestamp")]
    [InlineData("timestamp(3) with time zone", "timestamptz")]
    [InlineData("timestamptz(3)[]", "timestamptz[]")]
    [InlineData("time(2) with time zone", "timetz")]
    [InlineData("interval day to second(3)", "interval")]
    [InlineData("interval year", "interval")]
    [InlineData("float(10)", "float4")]
    [InlineData("float(40)", "float8")]
    [InlineData("geometry(Point, 4326)", "geometry")]
    public void WithoutModifier_OfATypeWithOne_IsTheTypeAsASignatureKeepsIt(string declared, string bare) =>
        Assert.Equal(bare, PgType.WithoutModifier(declared));

    [Theory]
    [InlineData("text")]
    [InlineData("int8[]")]
    [InlineData("Mood")]
    [InlineData("public.user_row")]
    [InlineData("\"char\"")]
    [InlineData("double precision")]
    public void WithoutModifier_OfATypeWithoutOne_IsAsWritten(string declared) =>
        Assert.Equal(declared, PgType.WithoutModifier(declared));
}

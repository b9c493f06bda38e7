using PlProxy.Client.Execution;

namespace PlProxy.Client.Tests.Execution;

/// <summary>Bodies given as text type their arguments with the generator's table.</summary>
public sealed class PgTypeNamesTests
{
    [Theory]
    [InlineData(typeof(TimeSpan), "interval")]
    [InlineData(typeof(TimeSpan?), "interval")]
    [InlineData(typeof(DateOnly[]), "date[]")]
    [InlineData(typeof(byte[]), "bytea")]
    [InlineData(typeof(long?[]), "int8[]")]
    public void Of_MapsLikeTheGenerator(Type type, string expected) =>
        Assert.Equal(expected, PgTypeNames.Of(type));

    [Fact]
    public void Of_UnknownType_NamesItAndAsksForTheName() =>
        Assert.Contains("Uri has no PostgreSQL type", Assert.Throws<ArgumentException>(() => PgTypeNames.Of(typeof(Uri))).Message, StringComparison.Ordinal);
}

using PlProxy.Client.Proxies;

namespace PlProxy.Client.Tests.Proxies;

/// <summary>Enum arguments are sent as the labels Npgsql's own enum mapping would send.</summary>
public sealed class ProxyArgumentsTests
{
    public enum Status
    {
        Ok,
        VeryHappy,
        HTTPError,
        Sha256Hash,
    }

    [Theory]
    [InlineData(Status.Ok, "ok")]
    [InlineData(Status.VeryHappy, "very_happy")]
    [InlineData(Status.HTTPError, "http_error")]
    [InlineData(Status.Sha256Hash, "sha256hash")]
    public void EnumLabel_IsNpgsqlsSnakeCase(Status value, string expected) =>
        Assert.Equal(expected, ProxyArguments.EnumLabel(value));

    [Fact]
    public void EnumLabel_OfNull_IsNull() =>
        Assert.Null(ProxyArguments.EnumLabel<Status>(null));
}

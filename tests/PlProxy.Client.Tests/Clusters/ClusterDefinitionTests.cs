using System.Reflection;
using PlProxy.Client.Clusters;
using PlProxy.Client.Configuration;
using PlProxy.Client.Resilience;

namespace PlProxy.Client.Tests.Clusters;

/// <summary>The frozen definition that decides whether a reload changes a cluster.</summary>
public sealed class ClusterDefinitionTests
{
    [Theory]
    [InlineData(typeof(PlProxyClusterOptions), typeof(ClusterDefinition))]
    [InlineData(typeof(PlProxyRetryOptions), typeof(ClusterDefinition.RetryDefinition))]
    [InlineData(typeof(PlProxyCircuitBreakerOptions), typeof(ClusterDefinition.CircuitBreakerDefinition))]
    public void EverySetting_HasItsMemberInTheDefinition(Type options, Type definition)
    {
        string[] settings = [.. options.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name).Order(StringComparer.Ordinal)];
        string[] frozen = [.. definition.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.Name != "EqualityContract").Select(p => p.Name).Order(StringComparer.Ordinal)];

        Assert.Equal(settings, frozen);
    }

    public static TheoryData<string, Action<PlProxyClusterOptions>> Changes => new()
    {
        { "a partition", o => o.Partitions[0] = "Host=other" },
        { "the mapping", o => o.ModularMapping = true },
        { "the hash flavour", o => o.HashFlavor = PlProxyHashFlavor.Legacy83 },
        { "the query timeout", o => o.QueryTimeout = TimeSpan.FromSeconds(3) },
        { "the pooler", o => o.Pooler = PlProxyPooler.PgBouncerStatement },
        { "the retry delay", o => o.Retry.Delay = TimeSpan.FromSeconds(1) },
        { "the break duration", o => o.CircuitBreaker.BreakDuration = TimeSpan.FromSeconds(30) },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void ChangedSetting_MakesADifferentDefinition(string what, Action<PlProxyClusterOptions> change)
    {
        PlProxyClusterOptions options = Options();
        ClusterDefinition before = ClusterDefinition.Of(options);

        change(options);

        Assert.True(before != ClusterDefinition.Of(options), what);
    }

    [Fact]
    public void SameSettings_MakeEqualDefinitions() =>
        Assert.Equal(ClusterDefinition.Of(Options()), ClusterDefinition.Of(Options()));

    private static PlProxyClusterOptions Options()
    {
        var options = new PlProxyClusterOptions();
        options.Partitions.Add("Host=a");
        options.Partitions.Add("Host=b");
        return options;
    }
}

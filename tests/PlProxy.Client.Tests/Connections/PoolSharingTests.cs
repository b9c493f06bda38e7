using PlProxy.Client.Configuration;

namespace PlProxy.Client.Tests.Connections;

/// <summary>
/// One pool, and so one connection cap, per partition database and settings, however its connection string is written:
/// clusters over the same partitions count their connections once.
/// </summary>
public sealed class PoolSharingTests
{
    [Theory]
    [InlineData("host=a port=5433 dbname=p0 user=app", "dbname=p0 user=app host=a port=5433")]
    [InlineData("host=a port=5433 dbname=p0 user=app", "Host=a;Port=5433;Database=p0;Username=app")]
    [InlineData("Host=a;Database=p0;Username=app;Timeout=5", "Timeout=5;Username=app;Database=p0;Host=a")]
    [InlineData("host=a dbname=p0 user=app", "postgresql://app@a/p0")]
    public void OnePartitionWrittenTwoWays_InTwoClusters_SharesOnePool(string first, string second)
    {
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions()
            .AddCluster("userdb", first)
            .AddCluster("userdb_ro", second));

        Assert.Equal(1, source.PoolCount);
    }

    [Fact]
    public void AStandbyHostOfOneCluster_NamedAloneByAnother_SharesItsPool()
    {
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions()
            .AddCluster("userdb", "host=a,b dbname=p0 user=app")
            .AddCluster("userdb_ro", "host=b port=5432 dbname=p0 user=app"));

        Assert.Equal(3, source.PoolCount); // the primary-and-standby pool, and one per host
    }

    [Theory]
    [InlineData("host=a dbname=p0 user=app", "host=a dbname=p1 user=app")]
    [InlineData("host=a dbname=p0 user=app", "host=a dbname=p0 user=other")]
    [InlineData("host=a dbname=p0 user=app", "host=a dbname=p0 user=app application_name=reports")]
    [InlineData("Host=a;Database=p0;Password=x", "Host=a;Database=p0;Password=y")]
    public void PartitionsThatDifferInASetting_KeepPoolsOfTheirOwn(string first, string second)
    {
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions()
            .AddCluster("userdb", first)
            .AddCluster("userdb_ro", second));

        Assert.Equal(2, source.PoolCount);
    }
}

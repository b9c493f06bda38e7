using PlProxy.Client.Configuration;
using PlProxy.Client.Connections;

namespace PlProxy.Client.Tests.Configuration;

/// <summary>Every bad configuration is refused before any I/O, with a message naming the cluster and the entry, never a password.</summary>
public sealed class OptionsValidationTests
{
    private static string Refusal(Action<PlProxyOptions> configure)
    {
        var options = new PlProxyOptions();
        configure(options);
        return Assert.Throws<ArgumentException>(() => PlProxyDataSource.Create(options)).Message;
    }

    [Fact]
    public void NoClusters_IsRefused() =>
        Assert.Contains("No clusters are configured", Refusal(_ => { }), StringComparison.Ordinal);

    [Fact]
    public void PartitionCountNotPowerOfTwo_IsRefusedNamingTheCluster() =>
        Assert.Contains("Cluster 'userdb' has 3 partitions", Refusal(o => o.AddCluster("userdb", "Host=a", "Host=b", "Host=c")), StringComparison.Ordinal);

    [Fact]
    public void NegativeFencedCallTimeout_IsRefused() =>
        Assert.Contains("FencedCallTimeout must not be negative", Refusal(o => o.AddCluster("userdb", "Host=a").FencedCallTimeout = TimeSpan.FromSeconds(-1)), StringComparison.Ordinal);

    [Theory]
    [InlineData("HashFlavor", "HashFlavor of cluster 'userdb' (7) is not one of Modern, Legacy83.")]
    [InlineData("CaseMapping", "CaseMapping of cluster 'userdb' (7) is not one of AsciiOnly, CLocale, Turkic.")]
    [InlineData("Pooler", "Pooler of cluster 'userdb' (7) is not one of None, PgBouncerTransaction, PgBouncerStatement.")]
    public void EnumSettingOutsideItsMembers_IsRefusedRatherThanTakenAsTheDefault(string setting, string message) =>
        Assert.Contains(message, Refusal(o => o.AddCluster("userdb", c =>
        {
            c.Partitions.Add("Host=a");
            switch (setting)
            {
                case "HashFlavor": c.HashFlavor = (PlProxyHashFlavor)7; break;
                case "CaseMapping": c.CaseMapping = (PlProxyCaseMapping)7; break;
                default: c.Pooler = (PlProxyPooler)7; break;
            }
        })), StringComparison.Ordinal);

    [Fact]
    public void PartitionCountNotPowerOfTwo_IsAcceptedWithModularMapping()
    {
        var options = new PlProxyOptions().AddCluster("userdb", c =>
        {
            c.ModularMapping = true;
            c.Partitions.Add("Host=a");
            c.Partitions.Add("Host=b");
            c.Partitions.Add("Host=c");
        });

        using PlProxyDataSource source = PlProxyDataSource.Create(options);

        Assert.Equal(3, source.PoolCount);
    }

    [Theory]
    [InlineData("UTF-8")]
    [InlineData("SJIS")] // a client encoding no database can have
    [InlineData("")]
    public void ProxyDatabaseEncoding_NotAServerEncoding_IsRefusedNamingTheCluster(string encoding) =>
        Assert.Contains(
            $"ProxyDatabaseEncoding of cluster 'userdb' ('{encoding}') is not a PostgreSQL server encoding",
            Refusal(o => o.AddCluster("userdb", c =>
            {
                c.Partitions.Add("Host=a");
                c.ProxyDatabaseEncoding = encoding;
            })),
            StringComparison.Ordinal);

    [Theory]
    [InlineData("UTF8")]
    [InlineData("latin1")]
    [InlineData("SQL_ASCII")]
    [InlineData("WIN1252")]
    public void ProxyDatabaseEncoding_AServerEncodingInAnyCase_IsAccepted(string encoding)
    {
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("userdb", c =>
        {
            c.Partitions.Add("Host=a");
            c.ProxyDatabaseEncoding = encoding;
        }));

        Assert.Equal(1, source.PoolCount);
    }

    [Fact]
    public void NoPartitions_IsRefused() =>
        Assert.Contains("Cluster 'empty' has no partitions", Refusal(o => o.AddCluster("empty")), StringComparison.Ordinal);

    [Fact]
    public void EmptyConnectionString_IsRefusedNamingThePartition() =>
        Assert.Contains("Partition 1 of cluster 'userdb' has an empty connection string", Refusal(o => o.AddCluster("userdb", "Host=a", " ")), StringComparison.Ordinal);

    [Fact]
    public void InvalidConnectionString_IsRefusedWithoutItsPassword()
    {
        string message = Refusal(o => o.AddCluster("userdb", "Host=a;Password=hunter2;Bogus Key=1", "Host=b"));

        Assert.Contains("Partition 0 of cluster 'userdb' has an invalid connection string", message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", message, StringComparison.Ordinal);
    }

    [Fact]
    public void NegativeTimeout_IsRefusedNamingTheSetting() =>
        Assert.Contains("QueryTimeout of cluster 'userdb' must be positive", Refusal(o => o.AddCluster("userdb", c =>
        {
            c.Partitions.Add("Host=a");
            c.QueryTimeout = TimeSpan.FromSeconds(-1);
        })), StringComparison.Ordinal);

    [Fact]
    public void InvalidPoolSizes_AreRefused() =>
        Assert.Contains("pool sizes of cluster 'userdb'", Refusal(o => o.AddCluster("userdb", c =>
        {
            c.Partitions.Add("Host=a");
            c.MinPoolSize = 10;
            c.MaxPoolSize = 5;
        })), StringComparison.Ordinal);

    [Fact]
    public void MinimumPoolSize_OfAPartitionStringAboveTheCap_IsRefusedNamingThePartition() =>
        Assert.Contains(
            "Partition 0 of cluster 'userdb' has an invalid connection string (Minimum Pool Size 10 keeps more connections open than the partition's pool may hold (4:",
            Refusal(o => o.AddCluster("userdb", "Host=a;Minimum Pool Size=10")),
            StringComparison.Ordinal);

    [Fact]
    public void Multiplexing_InAPartitionString_IsRefusedNamingThePartition() =>
        Assert.Contains(
            "Partition 1 of cluster 'userdb' has an invalid connection string (Multiplexing is not supported",
            Refusal(o => o.AddCluster("userdb", "Host=a", "Host=b;Multiplexing=true")),
            StringComparison.Ordinal);

    [Theory]
    [InlineData("Host=p;Database=proxy;Multiplexing=true", "Multiplexing is not supported")]
    [InlineData("Host=p;Database=proxy;Pasword=S3CR3T", "a keyword Npgsql does not know")]
    public void InvalidProxyDatabaseString_IsRefusedNamingTheProblemButNoValue(string proxyDatabase, string problem)
    {
        string message = Refusal(o => o.ProxyDatabase = proxyDatabase);

        Assert.Contains($"ProxyDatabase has an invalid connection string (", message, StringComparison.Ordinal);
        Assert.Contains(problem, message, StringComparison.Ordinal);
        Assert.DoesNotContain("S3CR3T", message, StringComparison.Ordinal);
    }

    [Fact]
    public void SeveralProblems_AreAllNamed()
    {
        string message = Refusal(o => o.AddCluster("a", "Host=x", "Host=y", "Host=z").AddCluster("b"));

        Assert.Contains("Cluster 'a' has 3 partitions", message, StringComparison.Ordinal);
        Assert.Contains("Cluster 'b' has no partitions", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 32, null, "MaxConnectionsPerPartition of cluster 'userdb' must be at least 1")]
    [InlineData(-3, 32, null, "MaxConnectionsPerPartition of cluster 'userdb' must be at least 1")]
    [InlineData(4, 0, null, "MaxCallsPerRoundTrip of cluster 'userdb' must be between 1 and 1024, but it is 0")]
    [InlineData(4, 5000, null, "MaxCallsPerRoundTrip of cluster 'userdb' must be between 1 and 1024, but it is 5000")]
    [InlineData(2, 32, 3, "MinPoolSize of cluster 'userdb' (3) keeps more connections open than MaxConnectionsPerPartition (2)")]
    public void InvalidConnectionCap_IsRefusedNamingTheClusterAndTheSetting(int cap, int perRoundTrip, int? minPool, string message) =>
        Assert.Contains(message, Refusal(o => o.AddCluster("userdb", c =>
        {
            c.Partitions.Add("Host=a");
            c.MaxConnectionsPerPartition = cap;
            c.MaxCallsPerRoundTrip = perRoundTrip;
            c.MinPoolSize = minPool;
        })), StringComparison.Ordinal);

    [Fact]
    public void NonPositiveLongCallThreshold_IsRefusedNamingTheCluster() =>
        Assert.Contains(
            "LongCallThreshold of cluster 'userdb' must be positive",
            Refusal(o => o.AddCluster("userdb", c =>
            {
                c.Partitions.Add("Host=a");
                c.LongCallThreshold = TimeSpan.Zero;
            })),
            StringComparison.Ordinal);

    [Theory]
    [InlineData(0, 100, "MaxStandbyLag of cluster 'userdb' must be positive")]
    [InlineData(1000, 0, "StandbyCheckInterval of cluster 'userdb' must be positive and shorter than MaxStandbyLag")]
    [InlineData(1000, 1000, "StandbyCheckInterval of cluster 'userdb' must be positive and shorter than MaxStandbyLag")]
    public void InvalidStandbySettings_AreRefusedNamingTheClusterAndTheSetting(int lagMilliseconds, int intervalMilliseconds, string message) =>
        Assert.Contains(message, Refusal(o => o.AddCluster("userdb", c =>
        {
            c.Partitions.Add("Host=a,b");
            c.MaxStandbyLag = TimeSpan.FromMilliseconds(lagMilliseconds);
            c.StandbyCheckInterval = TimeSpan.FromMilliseconds(intervalMilliseconds);
        })), StringComparison.Ordinal);

    [Fact]
    public void InvalidProxyDatabaseClusterSettings_AreRefusedNamingThem() =>
        Assert.Contains(
            "MaxConnectionsPerPartition of cluster '(proxy database clusters)' must be at least 1",
            Refusal(o => o.UseProxyDatabase("Host=proxy").ProxyDatabaseClusters.MaxConnectionsPerPartition = 0),
            StringComparison.Ordinal);

    [Fact]
    public void ConnectionCap_SizesThePartitionPoolsUnlessAPoolSizeIsLower()
    {
        static int? PoolSize(Action<PlProxyClusterOptions> configure)
        {
            var cluster = new PlProxyClusterOptions();
            configure(cluster);
            return new Npgsql.NpgsqlConnectionStringBuilder(ConnectionStrings.ForPartition("Host=a", cluster.ConnectionSettings())).MaxPoolSize;
        }

        Assert.Equal(4, PoolSize(_ => { }));
        Assert.Equal(9, PoolSize(c => c.MaxConnectionsPerPartition = 9));
        Assert.Equal(2, PoolSize(c => c.MaxPoolSize = 2));
        Assert.Equal(100, PoolSize(c => c.MaxConnectionsPerPartition = null));
    }

    [Fact]
    public void DuplicateClusterName_IsRefused() =>
        Assert.Contains("'userdb' is already configured", Assert.Throws<ArgumentException>(() => new PlProxyOptions().AddCluster("userdb", "Host=a").AddCluster("userdb", "Host=b")).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("query_timeout", "5")]
    [InlineData("connection_lifetime", "1800")]
    [InlineData("connect_timeout", "3")]
    [InlineData("modular_mapping", "1")]
    [InlineData("disable_binary", "1")]
    [InlineData("default_user", "app")]
    [InlineData("statement_timeout", "100")]
    [InlineData("keepalive_idle", "60")]
    [InlineData("Query_Timeout", " 5")] // PL/Proxy compares keys without case and reads numbers with atoi
    [InlineData("MODULAR_MAPPING", "1 ")]
    [InlineData("Default_User", "app")]
    public void PlProxySetting_IsAccepted(string key, string value)
    {
        var options = new PlProxyClusterOptions();

        options.ApplyPlProxySetting(key, value);

        Assert.True(!key.Equals("query_timeout", StringComparison.OrdinalIgnoreCase) || options.QueryTimeout == TimeSpan.FromSeconds(5));
        Assert.True(!key.Equals("modular_mapping", StringComparison.OrdinalIgnoreCase) || options.ModularMapping);
        Assert.True(!key.Equals("default_user", StringComparison.OrdinalIgnoreCase) || options.DefaultUser == "app");
    }

    [Fact]
    public void UnknownPlProxySetting_IsRefusedInPlProxysWords() =>
        Assert.Equal("Unknown config param: frobnicate (Parameter 'key')", Assert.Throws<ArgumentException>(() => new PlProxyClusterOptions().ApplyPlProxySetting("frobnicate", "1")).Message);

    [Fact]
    public void NonIntegerPlProxySetting_IsRefused() =>
        Assert.Contains("query_timeout must be an integer, not 'soon'", Assert.Throws<ArgumentException>(() => new PlProxyClusterOptions().ApplyPlProxySetting("query_timeout", "soon")).Message, StringComparison.Ordinal);

    [Fact]
    public void LibpqConnectionString_BecomesNpgsqls()
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(ConnectionStrings.ToNpgsql("host=127.0.0.1 port=5433 dbname=part0 user=app password='it\\'s'"));

        Assert.Equal(("127.0.0.1", 5433, "part0", "app", "it's"), (builder.Host, builder.Port, builder.Database, builder.Username, builder.Password));
    }

    [Fact]
    public void PooledCluster_GetsNoResetAndNoPreparedStatements()
    {
        string connectionString = ConnectionStrings.ForPartition("Host=a;Database=b", new PlProxyClusterOptions { Pooler = PlProxyPooler.PgBouncerStatement, DefaultUser = "app" }.ConnectionSettings());

        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        Assert.Equal(("app", 0, true), (builder.Username, builder.MaxAutoPrepare, builder.NoResetOnClose));
    }

    [Fact]
    public void DirectCluster_PreparesStatementsAndSkipsTheResetOnClose()
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(ConnectionStrings.ForPartition("Host=a;Database=b", new PlProxyClusterOptions().ConnectionSettings()));

        Assert.Equal((ConnectionStrings.DefaultMaxAutoPrepare, true), (builder.MaxAutoPrepare, builder.NoResetOnClose));
    }

    [Fact]
    public void ExplicitNoResetOnClose_IsKept() =>
        Assert.False(new Npgsql.NpgsqlConnectionStringBuilder(ConnectionStrings.ForPartition("Host=a;Database=b;No Reset On Close=false", new PlProxyClusterOptions().ConnectionSettings())).NoResetOnClose);

    [Theory]
    [InlineData("Host=a;Database=b;Max Auto Prepare=0", 0)]
    [InlineData("Host=a;Database=b;MaxAutoPrepare=5", 5)]
    public void ExplicitMaxAutoPrepare_IsKept(string partition, int expected) =>
        Assert.Equal(expected, new Npgsql.NpgsqlConnectionStringBuilder(ConnectionStrings.ForPartition(partition, new PlProxyClusterOptions().ConnectionSettings())).MaxAutoPrepare);

    [Theory]
    [InlineData("Host=a;Database=b", 0)] // no limit but QueryTimeout, as PL/Proxy
    [InlineData("Host=a;Database=b;Command Timeout=5", 5)]
    [InlineData("host=a dbname=b", 0)]
    public void CommandTimeout_IsNoneUnlessThePartitionStringGivesOne(string partition, int expected) =>
        Assert.Equal(expected, new Npgsql.NpgsqlConnectionStringBuilder(ConnectionStrings.ForPartition(partition, new PlProxyClusterOptions().ConnectionSettings())).CommandTimeout);

    public static TheoryData<string, Action<PlProxyClusterOptions>> OutOfRangeSettings => new()
    {
        { "BreakDuration", c => c.CircuitBreaker.BreakDuration = TimeSpan.FromDays(2) },
        { "SamplingDuration", c => c.CircuitBreaker.SamplingDuration = TimeSpan.FromDays(2) },
        { "FailureRatio", c => c.CircuitBreaker.FailureRatio = double.NaN },
        { "Delay", c => c.Retry.Delay = TimeSpan.FromDays(2) },
        { "QueryTimeout", c => c.QueryTimeout = TimeSpan.FromDays(50) },
        { "ConnectTimeout", c => c.ConnectTimeout = TimeSpan.FromSeconds(1025) },
        { "ConnectionLifetime", c => c.ConnectionLifetime = TimeSpan.MaxValue },
    };

    [Theory]
    [MemberData(nameof(OutOfRangeSettings))]
    public void OutOfRangeSetting_IsRefusedAtCreateNamingTheClusterAndTheEntry(string entry, Action<PlProxyClusterOptions> configure)
    {
        string message = Refusal(o => o.AddCluster("userdb", c =>
        {
            c.Partitions.Add("Host=a");
            configure(c);
        }));

        Assert.Contains("cluster 'userdb'", message, StringComparison.Ordinal);
        Assert.Contains(entry, message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(OutOfRangeSettings))]
    public void OutOfRangeSetting_IsRefusedAtReconfigureChangingNothing(string entry, Action<PlProxyClusterOptions> configure)
    {
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("userdb", "Host=a"));

        var error = Assert.Throws<ArgumentException>(() => source.Reconfigure(new PlProxyOptions().AddCluster("userdb", c =>
        {
            c.Partitions.Add("Host=b");
            configure(c);
        })));

        Assert.Contains(entry, error.Message, StringComparison.Ordinal);
        Assert.Equal(1, source.PoolCount);
    }

    [Theory]
    [InlineData("Host=h;Foo=")]
    [InlineData("Host=")]
    [InlineData("host='unterminated")]
    public void MalformedConnectionString_IsAnArgumentExceptionNamingThePartition(string partition) =>
        Assert.Contains("Partition 0 of cluster 'userdb' has an invalid connection string", Refusal(o => o.AddCluster("userdb", partition)), StringComparison.Ordinal);

    [Fact]
    public async Task ManyDistinctTextBodies_KeepTheCacheBounded()
    {
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("userdb", "Host=a"), new OneRowExecutor());
        int largest = 0;
        for (int i = 0; i < 3 * Client.Planning.BoundBodies.Capacity; i++)
        {
            await source.ExecuteAsync(new PlProxyCommand($"f{i}", "CLUSTER 'userdb'; RUN ON 0;"), TestContext.Current.CancellationToken);
            largest = Math.Max(largest, source.CachedCommandCount);
        }

        Assert.Equal(Client.Planning.BoundBodies.Capacity, largest);
    }

    private sealed class OneRowExecutor : Client.Execution.IPartitionExecutor
    {
        public ValueTask<System.Data.Common.DbDataReader> ExecuteAsync(Client.Execution.PartitionRequest request, CancellationToken cancellationToken)
        {
            var table = new System.Data.DataTable();
            table.Columns.Add("r", typeof(int));
            table.Rows.Add(1);
            return ValueTask.FromResult<System.Data.Common.DbDataReader>(table.CreateDataReader());
        }
    }
}

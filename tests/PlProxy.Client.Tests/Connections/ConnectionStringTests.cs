using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Connections;

namespace PlProxy.Client.Tests.Connections;

/// <summary>libpq's connection strings read as libpq reads them, Npgsql's as Npgsql's, and no message that can hold a value.</summary>
public sealed class ConnectionStringTests
{
    [Theory]
    [InlineData("host=h password='Pw S3CR3T' dbname=a0", "Pw S3CR3T")]
    [InlineData("host=h password=a;b dbname=a0", "a;b")]
    [InlineData("user=u password=a;timeout=3 host=h", "a;timeout=3")]
    [InlineData("host=h password=x=y dbname=a0", "x=y")]
    [InlineData("host=h password='it\\'s' dbname=a0", "it's")]
    [InlineData("host=h password=back\\\\slash dbname=a0", "back\\slash")]
    [InlineData("host=h password=esc\\ aped dbname=a0", "esc aped")]
    [InlineData("host=h password = 'spaced out' dbname=a0", "spaced out")]
    [InlineData("host=h password=ünï€ dbname=a0", "ünï€")]
    [InlineData("host=h password='' dbname=a0", "")]
    public void LibpqPassword_IsReadAsLibpqReadsIt(string connectionString, string password)
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionStrings.ToNpgsql(connectionString));

        Assert.Equal(("h", password is "" ? null : password, "a0"), (builder.Host, builder.Password, builder.Database ?? "a0"));
    }

    [Theory]
    [InlineData("host=h port=5 dbname=d", true)]
    [InlineData("host=h", true)]
    [InlineData("host=h password=a;b dbname=d", true)]
    [InlineData("host=h;port=5;database=d", false)]
    [InlineData("host=h; port=5; dbname=d", false)]
    [InlineData("Host=h;Port=5", false)]
    [InlineData("Host=h;Database=d;Include Error Detail=true", false)]
    public void Form_IsLibpqOnlyWhenSemicolonsSeparateNoPairs(string connectionString, bool libpq) =>
        Assert.Equal(libpq, LibpqConnectionString.IsLibpq(connectionString));

    [Theory]
    [InlineData("host=db0a,db0b port=5432,5433 dbname=users", "db0a:5432,db0b:5433", 5432)]
    [InlineData("host=db0a,db0b port=6000 dbname=users", "db0a,db0b", 6000)]
    [InlineData("host=db0a,db0b dbname=users", "db0a,db0b", 5432)]
    [InlineData("port=5432,5433 host=db0a,::1 dbname=users", "db0a:5432,[::1]:5433", 5432)]
    public void LibpqHostList_IsReadAsLibpqPairsHostsWithPorts(string connectionString, string host, int port)
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionStrings.ToNpgsql(connectionString));

        Assert.Equal((host, port, "users"), (builder.Host, builder.Port, builder.Database));
    }

    [Theory]
    [InlineData("host=a,b,c port=1,2 dbname=d", "gives 2 ports for 3 hosts")]
    [InlineData("host=a,b port=1,x dbname=d", "The value of libpq keyword 'port' is invalid")]
    public void LibpqHostList_WithPortsThatDoNotMatch_IsRefusedAsLibpqRefusesIt(string connectionString, string expected) =>
        Assert.Contains(expected, Assert.Throws<ArgumentException>(() => ConnectionStrings.ToNpgsql(connectionString)).Message, StringComparison.Ordinal);

    [Fact]
    public void SeveralHosts_GoToThePrimaryAndRecheckRolesEverySecondUnlessTheStringSaysOtherwise()
    {
        var replicated = new NpgsqlConnectionStringBuilder(ConnectionStrings.ForPartition("host=a,b port=1,2 dbname=d", new PartitionConnectionSettings()));
        var chosen = new NpgsqlConnectionStringBuilder(ConnectionStrings.ForPartition("Host=a:1,b:2;Database=d;Target Session Attributes=prefer-standby;Host Recheck Seconds=7", new PartitionConnectionSettings()));
        var single = new NpgsqlConnectionStringBuilder(ConnectionStrings.ForPartition("Host=a;Database=d", new PartitionConnectionSettings()));

        Assert.Equal(("primary", 1), (replicated.TargetSessionAttributes, replicated.HostRecheckSeconds));
        Assert.Equal(("prefer-standby", 7), (chosen.TargetSessionAttributes, chosen.HostRecheckSeconds));
        Assert.Null(single.TargetSessionAttributes);
    }

    [Theory]
    [InlineData("Host=h;Database=d;Maximum Pool Size=2", 4, 2)]
    [InlineData("Host=h;Database=d;MaxPoolSize=8", 4, 4)]
    [InlineData("Host=h;Database=d", 4, 4)]
    [InlineData("Host=h;Database=d", 200, 200)]
    [InlineData("Host=h;Database=d;Maximum Pool Size=2", null, 2)]
    public void PoolSize_GivenByTheStringAndByTheCluster_IsTheLowerOfThem(string connectionString, int? clusterPoolSize, int expected)
    {
        string partition = ConnectionStrings.ForPartition(connectionString, new PartitionConnectionSettings(MaxPoolSize: clusterPoolSize));

        Assert.Equal(expected, ConnectionStrings.PoolSize(partition));
    }

    [Theory]
    [InlineData("Host=h;Database=d", false)]
    [InlineData("host=h dbname=d", false)]
    [InlineData("Host=h;Database=d;Enlist=false", false)]
    public void PartitionConnections_JoinNoAmbientTransaction(string connectionString, bool enlist) =>
        Assert.Equal(enlist, new NpgsqlConnectionStringBuilder(ConnectionStrings.ForPartition(connectionString, new PartitionConnectionSettings())).Enlist);

    [Fact]
    public void Enlist_AskedForByAPartitionString_IsRefusedSayingWhy() =>
        Assert.Contains(
            "Enlist=true is not supported: a call commits on its partition by itself",
            Assert.Throws<ArgumentException>(() => ConnectionStrings.ForPartition("Host=h;Database=d;Enlist=true", new PartitionConnectionSettings())).Message,
            StringComparison.Ordinal);

    [Theory]
    [InlineData("Host=p;Database=proxy", false)]
    [InlineData("Host=p;Database=proxy;Enlist=true", true)]
    public void ProxyDatabaseConnections_JoinNoAmbientTransactionUnlessTheStringSaysSo(string connectionString, bool enlist) =>
        Assert.Equal(enlist, new NpgsqlConnectionStringBuilder(ConnectionStrings.ForProxyDatabase(connectionString)).Enlist);

    [Fact]
    public void MinimumPoolSize_OfTheStringAboveThePoolsSize_IsRefusedNamingBoth()
    {
        var error = Assert.Throws<ArgumentException>(() => ConnectionStrings.ForPartition("Host=h;Database=d;Minimum Pool Size=10;Password=S3CR3T", new PartitionConnectionSettings(MaxPoolSize: 4)));

        Assert.Contains("Minimum Pool Size 10", error.Message, StringComparison.Ordinal);
        Assert.Contains("(4:", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("S3CR3T", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SeveralHosts_SplitIntoOneStringPerHostKeepingEverythingElse()
    {
        (string Endpoint, string ConnectionString)[] hosts = PartitionHosts.Split("Host=a:1,[::1]:2,c;Port=5;Database=d;Username=u;Target Session Attributes=primary;Timeout=3");

        Assert.Equal(["a:1", "[::1]:2", "c:5"], hosts.Select(h => h.Endpoint));
        Assert.All(hosts, h =>
        {
            var builder = new NpgsqlConnectionStringBuilder(h.ConnectionString);
            Assert.Equal(("d", "u", 3, null), (builder.Database, builder.Username, builder.Timeout, builder.TargetSessionAttributes));
            Assert.DoesNotContain(",", builder.Host, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void DatabaseAddress_NamesHostPortAndDatabase_NeverTheUserOrPassword()
    {
        string address = DatabaseName.AddressOf("Host=db0;Port=5433;Database=users;Username=app;Password=S3CR3T");

        Assert.Equal("db0:5433/users", address);
        Assert.Equal(address, DatabaseName.AddressOf("Database=users;Port=5433;Host=db0;Password=other")); // the same database, however it is written
    }

    [Fact]
    public void NpgsqlForm_KeepsItsValues()
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionStrings.ToNpgsql("host=h;port=5;database=d;password=\"a;b\""));

        Assert.Equal(("h", 5, "d", "a;b"), (builder.Host, builder.Port, builder.Database, builder.Password));
    }

    [Theory]
    [InlineData("host=h keepalives=1 keepalives_idle=30 keepalives_interval=10 keepalives_count=3", true, 30, 10)]
    [InlineData("host=h keepalives_idle=30", true, 30, 0)]
    [InlineData("host=h keepalives_interval=10", true, 7200, 10)]
    [InlineData("host=h keepalives=0 keepalives_idle=30 keepalives_interval=10", false, 0, 0)]
    [InlineData("host=h tcp_user_timeout=10000 keepalives_count=5", false, 0, 0)]
    public void LibpqKeepalives_AreReadAsTcpKeepalives_AndWhatNpgsqlCannotTakeIsLeftToTheOs(string connectionString, bool on, int idle, int interval)
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionStrings.ToNpgsql(connectionString));

        Assert.Equal((on, idle, interval), (builder.TcpKeepAlive, builder.TcpKeepAliveTime, builder.TcpKeepAliveInterval));
    }

    [Theory]
    [InlineData("host=h sslmode=disable", SslMode.Disable)]
    [InlineData("host=h sslmode=allow", SslMode.Allow)]
    [InlineData("host=h sslmode=prefer", SslMode.Prefer)]
    [InlineData("host=h sslmode=require", SslMode.Require)]
    [InlineData("host=h sslmode=verify-ca", SslMode.VerifyCA)]
    [InlineData("host=h sslmode=verify-full sslrootcert=/etc/ca.crt", SslMode.VerifyFull)]
    [InlineData("postgresql://h/d?sslmode=verify-full", SslMode.VerifyFull)]
    [InlineData("host=h sslmode=require sslcompression=0", SslMode.Require)] // libpq ignores sslcompression since PostgreSQL 14
    public void LibpqSslMode_EachOfLibpqsSix_IsNpgsqlsSameMode(string connectionString, SslMode mode) =>
        Assert.Equal(mode, new NpgsqlConnectionStringBuilder(ConnectionStrings.ToNpgsql(connectionString)).SslMode);

    [Theory]
    [InlineData("host=h fallback_application_name=billing", "billing")]
    [InlineData("host=h application_name=orders fallback_application_name=billing", "orders")]
    [InlineData("fallback_application_name=billing host=h application_name=orders", "orders")]
    public void LibpqFallbackApplicationName_NamesTheConnectionOnlyWhenTheStringGivesNoName(string connectionString, string name) =>
        Assert.Equal(name, new NpgsqlConnectionStringBuilder(ConnectionStrings.ToNpgsql(connectionString)).ApplicationName);

    [Theory]
    [InlineData("host=h dbname=d", true, 0)]
    [InlineData("Host=h;Database=d", true, 0)]
    [InlineData("host=h dbname=d keepalives=0", false, 0)]
    [InlineData("Host=h;Database=d;Tcp Keepalive Time=30", false, 30)]
    [InlineData("host=h dbname=d keepalives_idle=30", true, 30)]
    public void PartitionConnections_HaveTcpKeepalivesAsLibpqGivesThem_UnlessTheStringSaysOtherwise(string connectionString, bool on, int idle)
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionStrings.ForPartition(connectionString, new PartitionConnectionSettings()));

        Assert.Equal((on, idle), (builder.TcpKeepAlive, builder.TcpKeepAliveTime));
    }

    [Theory]
    [InlineData("host='unterminated", "is not closed")]
    [InlineData("host=h password=Pw S3CR3T dbname=a0", "the word at character 20 is not followed by '='")]
    [InlineData("host=h frobnicate=1", "a keyword libpq does not know (the word at character 8)")]
    [InlineData("host=h sslcrl=/x", "The libpq keyword 'sslcrl' has no Npgsql equivalent")]
    [InlineData("host=h port=abc", "The value of libpq keyword 'port' is invalid")]
    [InlineData("Host=h;Foo=", "a keyword Npgsql does not know")]
    [InlineData("Host=h;Port=abc", "The value of 'port' is invalid")]
    [InlineData("Host=", "names no host")]
    [InlineData("Database=d;Port=5", "names no host")]
    public void InvalidConnectionString_IsRefusedNamingTheProblem(string connectionString, string expected) =>
        Assert.Contains(expected, Assert.Throws<ArgumentException>(() => ConnectionStrings.ToNpgsql(connectionString)).Message, StringComparison.Ordinal);

    public static TheoryData<string> SecretBearingStrings => new()
    {
        "host=h password=Pw S3CR3T dbname=a0",
        "host=h password=S3CR3T;H1DD3N dbname=a0 port=x",
        "host=h password='S3CR3T \\' H1DD3N",
        "host=h password=S3CR3T=H1DD3N frobnicate=1",
        "host=h S3CR3T=H1DD3N",
        "Host=h;Password=S3CR3T;H1DD3N=1",
        "Host=h;Password=S3CR3T H1DD3N;Port=S3CR3T",
        "Host=h;Password='S3CR3T;H1DD3N",
        "Host=h;S3CR3T=;Database=H1DD3N",
        "Host=h;Password=\"S3CR3T\";Timeout=H1DD3N",
        "host=h password=ünïS3CR3T€ port=-H1DD3N",
    };

    [Theory]
    [MemberData(nameof(SecretBearingStrings))]
    public void InvalidConnectionString_NeverEchoesAValue(string connectionString)
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => ConnectionStrings.ToNpgsql(connectionString));

        Assert.DoesNotContain("S3CR3T", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("H1DD3N", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(SecretBearingStrings))]
    public void InvalidPartition_FailsValidationWithoutEchoingAValue(string connectionString)
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => PlProxyDataSource.Create(new PlProxyOptions().AddCluster("userdb", connectionString)));

        Assert.Contains("Partition 0 of cluster 'userdb' has an invalid connection string", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("S3CR3T", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("H1DD3N", error.ToString(), StringComparison.Ordinal);
    }
}

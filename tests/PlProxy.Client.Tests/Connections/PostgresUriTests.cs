using Npgsql;
using PlProxy.Client.Connections;

namespace PlProxy.Client.Tests.Connections;

/// <summary>libpq's connection URIs, accepted wherever a libpq string is, read as libpq reads them (PostgreSQL 15's documented forms).</summary>
public sealed class PostgresUriTests
{
    [Theory]
    [InlineData("postgresql://", null, 5432, null, null, null)]
    [InlineData("postgresql://localhost", "localhost", 5432, null, null, null)]
    [InlineData("postgresql://localhost:5433", "localhost", 5433, null, null, null)]
    [InlineData("postgresql://localhost/mydb", "localhost", 5432, "mydb", null, null)]
    [InlineData("postgresql://user@localhost", "localhost", 5432, null, "user", null)]
    [InlineData("postgresql://user:secret@localhost", "localhost", 5432, null, "user", "secret")]
    [InlineData("postgres://other@localhost/otherdb?connect_timeout=10&application_name=myapp", "localhost", 5432, "otherdb", "other", null)]
    [InlineData("postgresql://u:p%40ss%2Fw%3Ard@db.example.com:6432/my%20db", "db.example.com", 6432, "my db", "u", "p@ss/w:rd")]
    [InlineData("postgresql://[::1]:5433/d", "::1", 5433, "d", null, null)]
    [InlineData("postgresql://u:ünï€@h/d", "h", 5432, "d", "u", "ünï€")]
    public void Uri_IsReadAsLibpqReadsIt(string uri, string? host, int port, string? database, string? user, string? password)
    {
        if (host is null)
        {
            Assert.Contains("names no host", Assert.Throws<ArgumentException>(() => ConnectionStrings.ToNpgsql(uri)).Message, StringComparison.Ordinal);
            return;
        }

        var builder = new NpgsqlConnectionStringBuilder(ConnectionStrings.ToNpgsql(uri));

        Assert.Equal(host, builder.Host);
        Assert.Equal(port, builder.Port);
        Assert.Equal(database, builder.Database);
        Assert.Equal(user, builder.Username);
        Assert.Equal(password, builder.Password);
    }

    [Fact]
    public void UriQueryParameters_AreLibpqKeywords()
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionStrings.ToNpgsql("postgresql://h/d?connect_timeout=7&application_name=my%20app&sslmode=disable&target_session_attrs=read-write"));

        Assert.Equal(7, builder.Timeout);
        Assert.Equal("my app", builder.ApplicationName);
        Assert.Equal(SslMode.Disable, builder.SslMode);
        Assert.Equal("read-write", builder.TargetSessionAttributes);
    }

    [Fact]
    public void UriWithSslTrue_RequiresSsl() =>
        Assert.Equal(SslMode.Require, new NpgsqlConnectionStringBuilder(ConnectionStrings.ToNpgsql("postgresql://h/d?ssl=true")).SslMode);

    [Theory]
    [InlineData("postgresql://db0a:5432,db0b:5433/users", "db0a:5432,db0b:5433")]
    [InlineData("postgresql://db0a,db0b:5433/users", "db0a:5432,db0b:5433")]
    [InlineData("postgresql://db0a,db0b/users", "db0a,db0b")]
    [InlineData("postgresql://[::1]:5432,db0b:5433/users", "[::1]:5432,db0b:5433")]
    public void UriHostList_GivesEachHostItsPort(string uri, string hosts) =>
        Assert.Equal(hosts, new NpgsqlConnectionStringBuilder(ConnectionStrings.ToNpgsql(uri)).Host);

    [Theory]
    [InlineData("postgresql://u:S3CR3T@h/d?nosuchkey=1", "query parameter libpq does not know")]
    [InlineData("postgresql://u:S3CR3T@h/d?connect_timeout", "not key=value")]
    [InlineData("postgresql://u:S3CR%ZZT@h/d", "password (from character 16) has an invalid percent-encoded token")]
    [InlineData("postgresql://u:S3CR3T@[::1/d", "without its closing ']'")]
    [InlineData("postgresql://u:S3CR%00T@h/d", "forbidden %00")]
    public void BadUri_IsRefusedNamingThePartNeverTheSecret(string uri, string message)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => ConnectionStrings.ToNpgsql(uri));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("S3CR", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UriWithAPassword_IsShownWithoutIt()
    {
        string shown = ConnectionStrings.Shown("postgresql://app:S3CR3T@db0:5433/users");

        Assert.Equal("host=db0 port=5433 dbname=users user=app password=***", shown);
        Assert.Equal(["S3CR3T"], ConnectionStrings.Secrets("postgresql://app:S3CR3T@db0:5433/users"));
    }

    [Theory]
    [InlineData("Postgresql://h/d")]
    [InlineData("postgresql:/h/d")]
    public void NotQuiteAUri_IsNotReadAsOne(string text) => Assert.False(PostgresUri.IsUri(text));
}

using Npgsql;
using PlProxy.Client.Connections;
using PlProxy.Client.Hashing;
using PlProxy.Client.Testing;
using PlProxy.Client.Tool.Resharding;
using Resharding;

namespace PlProxy.Client.Scaffold.Tests.Resharding;

/// <summary>
/// The connections libpq makes for the tool (pg_dump, psql, a new database's subscription) are secured as the
/// connection strings say: the SSL mode, the root certificate, the client certificate and key.
/// </summary>
public sealed class LibpqSettingsTests
{
    private const string CertificateUser = "certuser";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public void ConnectionInfo_OfAStringThatVerifiesTheServerAndLogsInWithACertificate_SaysSoInLibpqsWords()
    {
        string info = LibpqSettings.ConnectionInfo("Host=db1;Port=5433;Database=users;Username=app;Password=it's;SSL Mode=VerifyFull;Root Certificate=ca.crt;SSL Certificate=/etc/app.crt;SSL Key=/etc/app.key;Channel Binding=Require");

        Assert.Equal(
            $"host='db1' port='5433' dbname='users' user='app' password='it\\'s' sslmode='verify-full' sslrootcert='{Path.GetFullPath("ca.crt")}' sslcert='/etc/app.crt' sslkey='/etc/app.key' channel_binding='require'",
            info);
    }

    [Fact]
    public void ConnectionInfo_OfAPlainString_GivesWhereAndAsWhomOnly() =>
        Assert.Equal("host='db1' port='5432' dbname='users' user='app'", LibpqSettings.ConnectionInfo("Host=db1;Database=users;Username=app"));

    [Fact]
    public async Task Split_OfPartitionsThatTakeOnlyAClientCertificateOverVerifiedSsl_CopiesThem()
    {
        // The server takes certuser only over SSL with a client certificate its CA signed. The tool's own connections
        // (Npgsql) carried the certificate; pg_dump's, psql's and the subscriptions' (libpq) were given host, port,
        // database, user and password only: pg_dump failed ("connection requires a valid client certificate"), and a
        // string demanding verify-full got copies that verified nothing.
        await using LocalPostgresServer server = await LocalPostgresServer.StartAsync(DemoCluster.ServerOptions(), Token);
        string secured = await ClientCertificateLogins.RequireAsync(server, CertificateUser, Token);
        DemoCluster cluster = await DemoCluster.CreateAsync(server, "ssl", 2, 2, Token);
        string Secured(string libpq) => libpq.Replace($"user={LocalPostgresServer.Superuser}", $"user={CertificateUser}", StringComparison.Ordinal) + secured;
        string[] partitions = [.. cluster.Partitions.Select(Secured)];
        string[] spares = [.. cluster.Spares.Select(Secured)];
        await server.ExecuteAsync("ssl_proxy", $"update plproxy.cluster_map set connstr = replace(connstr, 'user={LocalPostgresServer.Superuser}', 'user={CertificateUser}') || '{secured}'", Token);
        string[] keys = [.. Enumerable.Range(0, 200).Select(i => $"user{i}")];
        await ReshardFixture.SeedAsync(cluster.Partitions, keys, Token);
        await using (var plain = NpgsqlDataSource.Create(ConnectionStrings.ToNpgsql(cluster.Partitions[0].Replace($"user={LocalPostgresServer.Superuser}", $"user={CertificateUser}", StringComparison.Ordinal))))
        {
            PostgresException refused = await Assert.ThrowsAsync<PostgresException>(async () => await plain.OpenConnectionAsync(Token)); // the rule holds
            Assert.Equal(PostgresErrorCodes.InvalidAuthorizationSpecification, refused.SqlState);
        }

        (int exitCode, string output, string error) = await Tool.RunAsync(["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", .. spares]).WaitAsync(TimeSpan.FromSeconds(120), Token);

        Assert.True(exitCode == 0, output + error);
        string[] map = await ReshardFixture.MapAsync(cluster.Proxy, Token);
        Assert.Equal([.. partitions, .. spares], map);
        var rows = new List<(int Database, string Key)>();
        for (int i = 0; i < map.Length; i++)
        {
            await using var database = NpgsqlDataSource.Create(ConnectionStrings.ToNpgsql(map[i]));
            await using NpgsqlCommand select = database.CreateCommand("select key, (select ssl from pg_stat_ssl where pid = pg_backend_pid()) from writes");
            await using NpgsqlDataReader reader = await select.ExecuteReaderAsync(Token);
            while (await reader.ReadAsync(Token))
            {
                Assert.True(reader.GetBoolean(1));
                rows.Add((i, reader.GetString(0)));
            }
        }

        Assert.Equal(keys.Order(StringComparer.Ordinal), rows.Select(r => r.Key).Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.Equal(Partitions.IndexOf(PgHash.HashText(r.Key), 4), r.Database));
    }
}

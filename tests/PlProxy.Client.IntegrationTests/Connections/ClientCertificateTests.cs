using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Testing;
using PlProxy.Client.TestSupport;

namespace PlProxy.Client.IntegrationTests.Connections;

/// <summary>
/// Partitions a proxy database lists as secured deployments list them: libpq's <c>sslmode=verify-full</c> with a root
/// certificate, and a client certificate and key to log in with — served as PL/Proxy serves them.
/// </summary>
public sealed class ClientCertificateTests
{
    private const string Role = "certuser";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ProxyDatabasePartitions_ThatTakeOnlyAClientCertificateOverVerifiedSsl_ServeWhatPlProxyServes()
    {
        // libpq writes two of its SSL modes with a hyphen (verify-ca, verify-full); the cluster was refused as invalid.
        await using LocalPostgresServer server = await LocalPostgresServer.StartAsync(cancellationToken: Token);
        string secured = await ClientCertificateLogins.RequireAsync(server, Role, Token);
        string[] partitions = new string[2];
        for (int i = 0; i < partitions.Length; i++)
        {
            await server.CreateDatabaseAsync($"certpart{i}", cancellationToken: Token);
            partitions[i] = $"host={server.Host} port={server.Port} dbname=certpart{i} user={Role}{secured}";
        }

        string proxy = await ProxyDatabases.CreateAsync(server, "certproxy", "userdb", partitions, Token);
        await server.ExecuteAsync("certproxy", """
            create extension plproxy;
            create function where_is(username text) returns text as $$
                cluster 'userdb'; run on hashtext(username);
                select current_database()::text || ' ' || (select ssl::text from pg_stat_ssl where pid = pg_backend_pid());
            $$ language plproxy;
            """, Token);
        await using var plProxy = NpgsqlDataSource.Create(proxy);
        await using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().UseProxyDatabase(proxy));

        for (int user = 0; user < 20; user++)
        {
            string username = $"user{user}";
            await using NpgsqlCommand where = plProxy.CreateCommand("select where_is($1)");
            where.Parameters.Add(new NpgsqlParameter<string> { TypedValue = username });
            string expected = (string)(await where.ExecuteScalarAsync(Token))!;

            string? ours = await source.ExecuteScalarAsync<string>(
                new PlProxyCommand("where_is", "CLUSTER 'userdb'; RUN ON hashtext(username); SELECT current_database()::text || ' ' || (select ssl::text from pg_stat_ssl where pid = pg_backend_pid());").Add("username", username), Token);

            Assert.Equal(expected, ours);
            Assert.EndsWith(" true", ours, StringComparison.Ordinal);
        }
    }
}

using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace PlProxy.Client.IntegrationTests.Configuration;

/// <summary>
/// A proxy database whose encoding is not UTF-8: PL/Proxy's <c>hashtext</c> hashed text keys there in that encoding,
/// so the client routes ASCII keys as PL/Proxy did and refuses the others rather than send them elsewhere.
/// </summary>
[Collection(UserDbFixture.Collection)]
public sealed class ProxyDatabaseEncodingTests(UserDbFixture fixture)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ClustersOfALatin1ProxyDatabase_RouteAsciiKeysAsPlProxyDid_AndRefuseNonAsciiKeys_WhichPlProxySentElsewhere()
    {
        string proxy = await fixture.CreateProxyDatabaseAsync(
            "encoding 'LATIN1' locale 'C'",
            "create function get_balance(username text) returns numeric as $$ cluster 'userdb'; run on hashtext(username); $$ language plproxy;",
            Token);
        await using var plProxy = NpgsqlDataSource.Create(proxy);
        var services = new ServiceCollection();
        services.AddPlProxy(options => options.UseProxyDatabase(proxy)).AddProxy<IUserDb>();
        await using ServiceProvider provider = services.BuildServiceProvider();
        IUserDb db = provider.GetRequiredService<IUserDb>();
        var ascii = fixture.Users.Where(u => u.Username.All(char.IsAscii)).ToList();
        var others = fixture.Users.Where(u => u.Username.StartsWith("ünïcødé", StringComparison.Ordinal)).ToList(); // every character has a LATIN1 byte

        foreach ((string username, _, decimal balance, _) in ascii)
        {
            Assert.Equal(balance, await db.GetBalanceAsync(username, Token));
            Assert.Equal(balance, await BalanceThroughPlProxyAsync(plProxy, username)); // the same partition
        }

        int elsewhere = 0;
        foreach ((string username, _, decimal balance, _) in others)
        {
            // Each user was placed by the hash of its UTF-8 bytes: PL/Proxy, hashing LATIN1 bytes, often looks elsewhere.
            elsewhere += await BalanceThroughPlProxyAsync(plProxy, username) is null ? 1 : 0;
            var error = await Assert.ThrowsAsync<PlProxyException>(() => db.GetBalanceAsync(username, Token));
            Assert.Equal(PostgresErrorCodes.FeatureNotSupported, error.SqlState);
            Assert.Contains("routed by a proxy database whose encoding is LATIN1", error.Message, StringComparison.Ordinal);
        }

        Assert.NotEmpty(ascii);
        Assert.Equal(20, others.Count);
        Assert.InRange(elsewhere, 1, others.Count); // the routes the client would have got wrong had it hashed UTF-8
    }

    private static async Task<decimal?> BalanceThroughPlProxyAsync(NpgsqlDataSource proxy, string username)
    {
        await using NpgsqlCommand command = proxy.CreateCommand("select get_balance($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = username });
        return await command.ExecuteScalarAsync(Token) as decimal?;
    }
}

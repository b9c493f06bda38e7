using Npgsql;
using PlProxy.Client.Configuration;

namespace PlProxy.Client.Testing.Tests;

/// <summary>
/// <see cref="LocalPartitions"/> on a server that already runs (here a <see cref="LocalPostgresServer"/> standing in for
/// a CI service container): databases of its own, usable as a cluster, gone after disposal even while a pool holds them.
/// </summary>
public sealed class LocalPartitionsTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CreateOnServer_TwoRunsAtOnce_EachGetsDatabasesOfItsOwnThatServeACallAndAreDroppedAfterwards()
    {
        await using LocalPostgresServer existing = await LocalPostgresServer.StartAsync(cancellationToken: Token);
        const string Setup = "create function whoami() returns text language sql as $$ select current_database()::text $$;";

        LocalPartitions[] runs = await Task.WhenAll(
            LocalPartitions.CreateOnServerAsync(existing.ConnectionString(), 2, Setup, cancellationToken: Token),
            LocalPartitions.CreateOnServerAsync(existing.ConnectionString(), 2, Setup, cancellationToken: Token));
        string[] made = [.. runs.SelectMany(r => r.Databases)];
        Assert.Equal(4, made.Distinct(StringComparer.Ordinal).Count());
        Assert.Throws<InvalidOperationException>(() => runs[0].Server);

        await using (PlProxyDataSource source = PlProxyDataSource.Create(runs[0].AddTo(new PlProxyOptions(), "local")))
        {
            string database = (await source.ExecuteScalarAsync<string>(new PlProxyCommand("whoami", "CLUSTER 'local'; RUN ON 1;"), Token))!;
            Assert.Equal(runs[0].Databases[1], database);
        }

        await using (var held = NpgsqlDataSource.Create(runs[1].ConnectionStrings[0]))
        await using (NpgsqlConnection open = await held.OpenConnectionAsync(Token))
        {
            foreach (LocalPartitions run in runs)
            {
                await run.DisposeAsync(); // FORCE: a connection still open does not keep a database
            }
        }

        Assert.Empty(await DatabasesAsync(existing, made));
    }

    [Fact]
    public async Task CreateOnServer_WithASetupThatFails_LeavesNothingBehind()
    {
        await using LocalPostgresServer existing = await LocalPostgresServer.StartAsync(cancellationToken: Token);

        await Assert.ThrowsAsync<PostgresException>(() => LocalPartitions.CreateOnServerAsync(existing.ConnectionString(), 3, "select no_such_function()", prefix: "broken_p", cancellationToken: Token));

        Assert.Empty(await DatabasesAsync(existing, ["broken_p0", "broken_p1", "broken_p2"]));
    }

    private static async Task<List<string>> DatabasesAsync(LocalPostgresServer server, string[] names)
    {
        await using var source = NpgsqlDataSource.Create(server.ConnectionString());
        await using NpgsqlCommand command = source.CreateCommand("select datname from pg_database where datname = any($1)");
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = names });
        var found = new List<string>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(Token);
        while (await reader.ReadAsync(Token))
        {
            found.Add(reader.GetString(0));
        }

        return found;
    }
}

using Npgsql;
using PlProxy.Client.Testing;

namespace PlProxy.Client.PgQ.Tests;

/// <summary>One local PostgreSQL with PgQ; each test makes its own database and queue. Ticks are made from SQL, as PgQ's own tests make them.</summary>
public sealed class PgQFixture : IAsyncLifetime
{
    public const string Collection = "pgq";

    private int _databases;

    public LocalPostgresServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await LocalPostgresServer.StartAsync(cancellationToken: TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();

    /// <summary>A new database with PgQ and queue <paramref name="queue"/>.</summary>
    public async Task<NpgsqlDataSource> QueueDatabaseAsync(string queue, CancellationToken cancellationToken)
    {
        string name = $"pgq{Interlocked.Increment(ref _databases)}";
        var database = NpgsqlDataSource.Create(await Server.CreateDatabaseAsync(name, cancellationToken: cancellationToken));
        await using NpgsqlCommand create = database.CreateCommand($"create extension pgq; select pgq.create_queue('{queue}');");
        await create.ExecuteNonQueryAsync(cancellationToken);
        return database;
    }

    /// <summary>A tick on <paramref name="queue"/> (<c>pgq.ticker</c> in a transaction of its own), closing the events committed so far into a batch.</summary>
    public static async Task TickAsync(NpgsqlDataSource database, string queue, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand tick = database.CreateCommand($"select pgq.force_tick('{queue}'); ");
        await tick.ExecuteNonQueryAsync(cancellationToken);
        await using NpgsqlCommand ticker = database.CreateCommand($"select pgq.ticker('{queue}')");
        await ticker.ExecuteNonQueryAsync(cancellationToken);
    }
}

[CollectionDefinition(PgQFixture.Collection)]
public sealed class PgQCollection : ICollectionFixture<PgQFixture>;

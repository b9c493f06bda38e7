using Npgsql;

namespace PlProxy.Client.Tool.Security;

/// <summary>
/// One database's part of a grant, run but not committed: its statements in one transaction, which first takes the lock
/// that makes two grants on a database wait for each other (PostgreSQL fails a GRANT whose catalog row another
/// transaction is changing: "tuple concurrently updated"). The grant commits the parts only once every database ran
/// its own, so a database that refuses a statement changes nothing anywhere; disposing an uncommitted part rolls it back.
/// </summary>
internal sealed class PendingGrant : IAsyncDisposable
{
    private readonly NpgsqlDataSource _database;
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;

    private PendingGrant(NpgsqlDataSource database, NpgsqlConnection connection, NpgsqlTransaction transaction) =>
        (_database, _connection, _transaction) = (database, connection, transaction);

    /// <summary>Runs <paramref name="statements"/> on the database in a transaction left open.</summary>
    public static async Task<PendingGrant> RunAsync(string connectionString, IReadOnlyList<string> statements, CancellationToken cancellationToken)
    {
        NpgsqlDataSource database = NpgsqlDataSource.Create(connectionString);
        NpgsqlConnection? connection = null;
        NpgsqlTransaction? transaction = null;
        try
        {
            connection = await database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var wait = new NpgsqlCommand("select pg_advisory_xact_lock(hashtextextended('plproxy_tool.grant', 0))", connection, transaction))
            {
                await wait.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            foreach (string statement in statements)
            {
                await using var command = new NpgsqlCommand(statement, connection, transaction);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return new PendingGrant(database, connection, transaction);
        }
        catch
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync().ConfigureAwait(false);
            }

            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            await database.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Commits this database's part.</summary>
    public Task CommitAsync(CancellationToken cancellationToken) => _transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _transaction.DisposeAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
        await _database.DisposeAsync().ConfigureAwait(false);
    }
}

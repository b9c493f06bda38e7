using Npgsql;
using PlProxy.Client.Tool.Verbs;

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
    private NpgsqlConnection? _connection;
    private NpgsqlTransaction? _transaction;

    private PendingGrant(string connectionString) => _database = ToolDatabase.Create(connectionString);

    /// <summary>Runs <paramref name="statements"/> on the database in a transaction left open.</summary>
    public static async Task<PendingGrant> RunAsync(string connectionString, IReadOnlyList<string> statements, CancellationToken cancellationToken)
    {
        var pending = new PendingGrant(connectionString);
        try
        {
            pending._connection = await pending._database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            pending._transaction = await pending._connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            foreach (string statement in (string[])["select pg_advisory_xact_lock(hashtextextended('plproxy_tool.grant', 0))", .. statements])
            {
                await using var command = new NpgsqlCommand(statement, pending._connection, pending._transaction);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return pending;
        }
        catch
        {
            await pending.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Commits this database's part.</summary>
    public Task CommitAsync(CancellationToken cancellationToken) => _transaction!.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_transaction is not null)
        {
            await _transaction.DisposeAsync().ConfigureAwait(false);
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }

        await _database.DisposeAsync().ConfigureAwait(false);
    }
}

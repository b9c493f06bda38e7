using Npgsql;

namespace PlProxy.Client;

/// <summary>
/// The partition a hash routes to in a cluster, for data access the generated proxies do not cover: Dapper, EF Core
/// (<c>UseNpgsql(partition.DataSource)</c>), a transaction of several statements. It holds the cluster's version (its
/// map and pools) from <see cref="PlProxyDataSource.GetPartitionAsync"/> until disposed, so a map published meanwhile
/// does not take the pool away; calls that start later see the new map.
/// </summary>
/// <remarks>
/// While keys move (<c>plproxy split</c>/<c>move</c>), partconf refuses writes of the moving keys on their old database.
/// Calls through the proxies are refused by the partition functions and sent again; code that writes through
/// <see cref="DataSource"/> gets the same guard by calling <see cref="CheckHashAsync"/> first in its transaction (or
/// from <c>partconf.valid_hash</c> row triggers): a refusal (<see cref="PlProxySqlStates.WrongPartition"/>) comes before any
/// write, and the transaction is sent again on a partition taken anew.
/// </remarks>
public sealed class PlProxyPartition : IAsyncDisposable, IDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _database;
    private readonly Action _release;
    private readonly Func<CancellationToken, Task> _refresh;
    private int _disposed;

    // Given by the data source: where the hash routes in the cluster version it holds, how to let that version go, and
    // how to re-read the cluster's map after a refusal.
    internal PlProxyPartition(string cluster, int hash, int index, NpgsqlDataSource dataSource, string database, Action release, Func<CancellationToken, Task> refresh)
    {
        Cluster = cluster;
        Hash = hash;
        Index = index;
        _dataSource = dataSource;
        _database = database;
        _release = release;
        _refresh = refresh;
    }

    /// <summary>The cluster's name.</summary>
    public string Cluster { get; }

    /// <summary>The hash the partition was chosen by (what a <c>RUN ON</c> expression gives, e.g. <c>PgHash.HashText(key)</c>).</summary>
    public int Hash { get; }

    /// <summary>The partition number: the hash mapped as the cluster maps it (<c>hash &amp; (n − 1)</c>, PL/Proxy's rule).</summary>
    public int Index { get; }

    /// <summary>
    /// The partition database's pool: the one the proxies' calls use, so its connections count against
    /// <c>MaxConnectionsPerPartition</c>; for a partition with standbys it connects to the primary. Like the calls', its
    /// connections join no ambient <c>TransactionScope</c> by themselves: to work inside one, enlist a connection
    /// explicitly (<c>connection.EnlistTransaction(Transaction.Current)</c>) and keep the partition until the scope ends.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The partition was disposed.</exception>
    public NpgsqlDataSource DataSource
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _dataSource;
        }
    }

    /// <summary>
    /// Asks the partition database, on <paramref name="connection"/> (inside its transaction, when one is open), whether
    /// <see cref="Hash"/> is still its to write: <c>partconf.check_hash</c>. Call it first in a transaction that writes;
    /// the fence of a split or move waits for such a transaction to end, so what it writes afterwards is safe.
    /// </summary>
    /// <param name="connection">An open connection from <see cref="DataSource"/>.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the database accepted the hash.</returns>
    /// <exception cref="PlProxyException">
    /// <see cref="PlProxySqlStates.WrongPartition"/>: the key is being moved, or the map this partition came from is stale;
    /// nothing was written: roll back, dispose this partition and take it again (the cluster's map is re-read first).
    /// <see cref="PlProxySqlStates.PartconfNotConfigured"/>: partconf is not installed on the database.
    /// </exception>
    public async Task CheckHashAsync(NpgsqlConnection connection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await using var command = new NpgsqlCommand("select partconf.check_hash($1)", connection) { Parameters = { new() { Value = (long)Hash } } };
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState is PlProxySqlStates.WrongPartition or PlProxySqlStates.PartconfNotConfigured
            || (e.SqlState is PostgresErrorCodes.InvalidSchemaName or PostgresErrorCodes.UndefinedFunction && e.MessageText.Contains("partconf", StringComparison.Ordinal)))
        {
            string database = _database;
            if (e.SqlState == PlProxySqlStates.WrongPartition)
            {
                await _refresh(cancellationToken).ConfigureAwait(false);
            }

            throw new PlProxyException(
                e.SqlState == PlProxySqlStates.WrongPartition
                    ? $"[{database}] partition {Index} of cluster {Cluster} refused hash {Hash}: {e.MessageText}. Nothing was written: roll back and take the partition again."
                    : $"[{database}] partconf is not installed on partition {Index} of cluster {Cluster}: {e.MessageText}",
                e.SqlState == PlProxySqlStates.WrongPartition ? PlProxySqlStates.WrongPartition : PlProxySqlStates.PartconfNotConfigured,
                e)
            {
                Cluster = Cluster,
                PartitionIndex = Index,
                Database = database,
            };
        }
    }

    /// <summary>Gives the partition's connection slot back and lets the cluster's version go: a map replaced meanwhile releases its pools once nothing holds it.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Gives the partition's connection slot back and lets the cluster's version go: a map replaced meanwhile releases its pools once nothing holds it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _release();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// A partition never disposed gives its connection slot back when it is collected, rather than take one of the
    /// partition's connections from every call for the data source's life.
    /// </summary>
    ~PlProxyPartition()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            try
            {
                _release();
            }
            catch (Exception)
            {
                // Never out of a finalizer (it would end the process): the data source may be gone already.
            }
        }
    }
}

using Npgsql;
using Npgsql.Replication;

namespace PlProxy.Client.Tool.Verbs;

/// <summary>
/// A database itself, past a connection pooler in front of it. Partitions are often reached through pgBouncer, which
/// a cluster's map keeps naming for its clients; but some verbs need the database itself — a copy's replication
/// connection, transactions of several statements (<c>pg_dump</c>, a schema, a fence, partconf's install, a grant) —
/// which a pooler does not give (pgBouncer refuses replication connections, and transactions in statement mode). Such a
/// database is connected to where its server says it listens (<c>inet_server_addr()</c>, <c>inet_server_port()</c>,
/// <c>current_database()</c>), with the same user and credentials, once that connection is shown to reach the same
/// database (<see cref="DatabaseIdentity"/>); when it cannot be, the verb refuses before anything is changed.
/// </summary>
internal static class DatabaseItself
{
    /// <summary>
    /// <paramref name="connectionString"/> when the verb can use it as given, else one that reaches the database itself,
    /// where its server says it listens (said on <paramref name="output"/>); refuses when there is none.
    /// </summary>
    /// <param name="connectionString">The database as the map or configuration names it (Npgsql's form).</param>
    /// <param name="name">The database, for messages.</param>
    /// <param name="verb">The verb, for messages.</param>
    /// <param name="replication">True when the verb needs replication connections to it too (a split's or move's databases).</param>
    /// <param name="output">Where the verb says what it does.</param>
    /// <param name="cancellationToken">Cancels the checks.</param>
    public static async Task<string> ConnectionStringAsync(string connectionString, string name, string verb, bool replication, TextWriter output, CancellationToken cancellationToken)
    {
        if (await WhyNotUsableAsync(connectionString, replication, cancellationToken).ConfigureAwait(false) is not { } reason)
        {
            return connectionString;
        }

        await using NpgsqlDataSource given = ToolDatabase.Create(connectionString);
        string? address;
        int port;
        string database;
        await using (NpgsqlCommand where = given.CreateCommand("select pg_catalog.host(pg_catalog.inet_server_addr()), pg_catalog.inet_server_port(), pg_catalog.current_database()::text"))
        await using (NpgsqlDataReader row = await where.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await row.ReadAsync(cancellationToken).ConfigureAwait(false);
            (address, port, database) = (row.IsDBNull(0) ? null : row.GetString(0), row.IsDBNull(1) ? 0 : row.GetInt32(1), row.GetString(2));
        }

        string refused = $"{name}: plproxy {verb} cannot use its connection as given ({reason}): it needs the database itself — {(replication ? "a replication connection, and transactions" : "transactions")}";
        if (address is null)
        {
            throw new ToolRefusal($"{refused}, and its server is reached over a Unix socket, so the tool cannot connect to it directly. Run the {verb} where the map names the database's own address. Nothing was changed.");
        }

        string direct = new NpgsqlConnectionStringBuilder(connectionString) { Host = address, Port = port, Database = database }.ConnectionString;
        if (await WhyNotUsableAsync(direct, replication, cancellationToken).ConfigureAwait(false) is { } directReason)
        {
            throw new ToolRefusal($"{refused}, and connected directly, where its server listens ({address}:{port}, database {database}), {directReason}. Nothing was changed.");
        }

        await using NpgsqlDataSource itself = ToolDatabase.Create(direct);
        if ((await DatabaseIdentity.FirstOfEachAsync([given, itself], cancellationToken).ConfigureAwait(false))[1] != 0)
        {
            throw new ToolRefusal($"{refused}, and {address}:{port} database {database}, where its server says it listens, is another database. Nothing was changed.");
        }

        await output.WriteLineAsync($"{DateTime.Now:HH:mm:ss.fff} plproxy {verb}: check: {name} is reached through a connection pooler ({reason}); the {verb} connects to it directly at {address}:{port}, database {database}, and the map keeps naming it as before").ConfigureAwait(false);
        return direct;
    }

    // Null when the verb can use the connection, as far as a pooler goes: a logical replication connection
    // (IDENTIFY_SYSTEM) when it needs one, and a transaction of more than one statement; else what the pooler
    // answered (a protocol violation, 08P01: pgBouncer's "unsupported startup parameter: replication", "transaction
    // blocks not allowed in statement pooling mode"). Any other failure (a role without REPLICATION, a server down) is
    // left to the verb's own checks, which report it as they always did.
    private static async Task<string?> WhyNotUsableAsync(string connectionString, bool replication, CancellationToken cancellationToken)
    {
        try
        {
            if (replication)
            {
                await using var walSender = new LogicalReplicationConnection(ToolDatabase.Configure(new NpgsqlConnectionStringBuilder(connectionString)).ConnectionString);
                await walSender.Open(cancellationToken).ConfigureAwait(false);
                await walSender.IdentifySystem(cancellationToken).ConfigureAwait(false);
            }

            await using NpgsqlDataSource database = ToolDatabase.Create(connectionString);
            await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var first = new NpgsqlCommand("select 1", connection, transaction))
            {
                await first.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            }

            await using (var second = new NpgsqlCommand("select 2", connection, transaction))
            {
                await second.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ProtocolViolation)
        {
            return $"\"{e.MessageText}\"";
        }
        catch (NpgsqlException)
        {
            return null;
        }
    }
}

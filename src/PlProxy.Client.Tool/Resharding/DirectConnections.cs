using Npgsql;
using Npgsql.Replication;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>
/// The databases of a split or move as its own connections need them. Partitions are often reached through pgBouncer,
/// which the map keeps naming for the cluster's clients; but the copy needs the database itself — a replication
/// connection for each new database's subscription, transactions for <c>pg_dump</c>, the schema and the fence — which
/// a pooler does not give (pgBouncer refuses replication connections, and transactions in statement mode). Such a
/// database is connected to where its server says it listens (<c>inet_server_addr()</c>, <c>inet_server_port()</c>,
/// <c>current_database()</c>), with the same user and credentials, once that connection is shown to reach the same
/// database (<see cref="DatabaseIdentity"/>); when it cannot be, the check refuses before anything is changed.
/// </summary>
internal static class DirectConnections
{
    /// <summary>The plan with each source's and new database's connection string one the copy can use; the map unchanged.</summary>
    public static async Task<ReshardPlan> ResolveAsync(ReshardPlan plan, TextWriter output, CancellationToken cancellationToken)
    {
        var resolved = new Dictionary<string, string>(StringComparer.Ordinal);
        var sources = new Dictionary<ReshardSource, ReshardSource>(ReferenceEqualityComparer.Instance);
        foreach (ReshardSource source in plan.Sources)
        {
            sources[source] = source with { ConnectionString = await DirectAsync(source.ConnectionString, source.Name).ConfigureAwait(false) };
        }

        var targets = new List<ReshardTarget>();
        foreach (ReshardTarget target in plan.Targets)
        {
            targets.Add(target with { ConnectionString = await DirectAsync(target.ConnectionString, target.Name).ConfigureAwait(false), Source = sources[target.Source] });
        }

        return plan with { Sources = [.. plan.Sources.Select(s => sources[s])], Targets = targets };

        async Task<string> DirectAsync(string connectionString, string name)
        {
            if (!resolved.TryGetValue(connectionString, out string? direct))
            {
                resolved[connectionString] = direct = await DirectOfAsync(connectionString, name, plan.Verb, output, cancellationToken).ConfigureAwait(false);
            }

            return direct;
        }
    }

    private static async Task<string> DirectOfAsync(string connectionString, string name, string verb, TextWriter output, CancellationToken cancellationToken)
    {
        if (await WhyNotUsableAsync(connectionString, cancellationToken).ConfigureAwait(false) is not { } reason)
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

        string refused = $"{name}: the {verb} cannot use its connection as given ({reason}): the copy needs the database itself — a replication connection, and transactions";
        if (address is null)
        {
            throw new ToolRefusal($"{refused}, and its server is reached over a Unix socket, so the tool cannot connect to it directly. Run the {verb} where the map names the database's own address. Nothing was changed.");
        }

        string direct = new NpgsqlConnectionStringBuilder(connectionString) { Host = address, Port = port, Database = database }.ConnectionString;
        if (await WhyNotUsableAsync(direct, cancellationToken).ConfigureAwait(false) is { } directReason)
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

    // Null when the copy can use the connection, as far as a pooler goes: a logical replication connection
    // (IDENTIFY_SYSTEM) and a transaction of more than one statement; else what the pooler answered (a protocol
    // violation, 08P01: pgBouncer's "unsupported startup parameter: replication", "transaction blocks not allowed in
    // statement pooling mode"). Any other failure is left to the check, which reports it as it always did.
    private static async Task<string?> WhyNotUsableAsync(string connectionString, CancellationToken cancellationToken)
    {
        try
        {
            await using (var replication = new LogicalReplicationConnection(ToolDatabase.Configure(new NpgsqlConnectionStringBuilder(connectionString)).ConnectionString))
            {
                await replication.Open(cancellationToken).ConfigureAwait(false);
                await replication.IdentifySystem(cancellationToken).ConfigureAwait(false);
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

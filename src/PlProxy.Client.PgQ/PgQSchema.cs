using Npgsql;

namespace PlProxy.Client.PgQ;

/// <summary>
/// The package's own tables in schema <c>plproxy_pgq</c> (the ticks a target applied, the dead letters), created on
/// first use. An existing table is used as it is: PostgreSQL checks the right to create before it looks whether the
/// object exists, so <c>create ... if not exists</c> fails for a role that may not create even when the table is
/// there — the least-privilege role a database owner made the tables for. A missing table the role may not create
/// fails naming the statement to run.
/// </summary>
internal static class PgQSchema
{
    /// <summary>
    /// Creates <c>plproxy_pgq.<paramref name="table"/></c> with <paramref name="columns"/> unless it exists. Inside a
    /// transaction (<paramref name="inTransaction"/>), the statement runs under a savepoint, so losing the race to
    /// create it to another process leaves the transaction going on.
    /// </summary>
    public static async Task EnsureTableAsync(NpgsqlConnection connection, string table, string columns, bool inTransaction, CancellationToken cancellationToken)
    {
        (bool tableExists, bool schemaExists) = await ExistsAsync(connection, table, cancellationToken).ConfigureAwait(false);
        if (tableExists)
        {
            return;
        }

        string ddl = (schemaExists ? "" : "create schema if not exists plproxy_pgq; ") + $"create table if not exists plproxy_pgq.{table} ({columns});";
        await using var create = new NpgsqlCommand(inTransaction ? $"savepoint plproxy_pgq_create; {ddl} release savepoint plproxy_pgq_create;" : ddl, connection);
        try
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateSchema or PostgresErrorCodes.DuplicateTable)
        {
            // Another process created the schema or the table between our check and our statement: it is there now.
            if (inTransaction)
            {
                await using var back = new NpgsqlCommand("rollback to savepoint plproxy_pgq_create; release savepoint plproxy_pgq_create;", connection);
                await back.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new InvalidOperationException(
                $"plproxy_pgq.{table} does not exist and this role may not create it ({e.MessageText}): have the database's owner run \"create schema if not exists plproxy_pgq; create table plproxy_pgq.{table} ({columns});\" and grant this role its rights on it.",
                e);
        }
    }

    private static async Task<(bool Table, bool Schema)> ExistsAsync(NpgsqlConnection connection, string table, CancellationToken cancellationToken)
    {
        await using var exists = new NpgsqlCommand($"select to_regclass('plproxy_pgq.{table}') is not null, to_regnamespace('plproxy_pgq') is not null", connection);
        await using NpgsqlDataReader reader = await exists.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (reader.GetBoolean(0), reader.GetBoolean(1));
    }
}

using System.Globalization;
using Npgsql;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>
/// One process at a time per cluster for split, move and abort: a session advisory lock in the database the operation
/// is recorded in, held on a connection of its own for the whole run. A second process is refused at once, naming the
/// holder (its host, pid and start time, from the holder's application name and <c>pg_stat_activity</c>); a holder that
/// dies loses its connection, and with it the lock, so it never blocks for long.
/// </summary>
internal sealed class OperationLock : IAsyncDisposable
{
    private const string Key = "hashtextextended('plproxy_tool.operation ' || $1, 0)";
    private readonly NpgsqlConnection _connection;

    private OperationLock(NpgsqlConnection connection) => _connection = connection;

    /// <summary>Takes the cluster's lock or throws, naming the process that holds it; nothing is changed either way.</summary>
    public static async Task<OperationLock> TakeAsync(string store, string cluster, string verb, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(store)
        {
            Pooling = false,
            KeepAlive = 10, // a holder whose host vanished is noticed by the server, and its lock released
            ApplicationName = string.Create(CultureInfo.InvariantCulture, $"plproxy {verb} pid {Environment.ProcessId} host {Environment.MachineName}"),
        };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (var take = new NpgsqlCommand($"select pg_try_advisory_lock({Key})", connection))
            {
                take.Parameters.Add(new NpgsqlParameter<string> { TypedValue = cluster });
                if ((bool)(await take.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                {
                    return new OperationLock(connection);
                }
            }

            await using var holder = new NpgsqlCommand($"""
                select a.application_name, coalesce(host(a.client_addr), 'local socket'), a.backend_start
                from pg_catalog.pg_locks l join pg_catalog.pg_stat_activity a on a.pid = l.pid
                where l.locktype = 'advisory' and l.granted and l.objsubid = 1
                  and ((l.classid::int8 << 32) | l.objid::int8) = {Key}
                """, connection);
            holder.Parameters.Add(new NpgsqlParameter<string> { TypedValue = cluster });
            string who = "another process";
            await using (NpgsqlDataReader reader = await holder.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    who = string.Create(CultureInfo.InvariantCulture, $"{reader.GetString(0)} (connected from {reader.GetString(1)} since {reader.GetDateTime(2).ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z)");
                }
            }

            throw new ToolRefusal($"A split, move or abort of cluster {cluster} is running now: {who}. Only one runs at a time; wait for it to end (or, if that process is gone, run again in a moment). Nothing was changed.");
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Releases the lock: the connection that holds it closes.</summary>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}

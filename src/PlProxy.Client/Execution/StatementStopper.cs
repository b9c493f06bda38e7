using Npgsql;

namespace PlProxy.Client.Execution;

/// <summary>
/// Makes sure a remote statement the caller has left really stops. Npgsql sends PostgreSQL one cancel request per
/// command, and PostgreSQL ignores a cancel that reaches the backend before it has started the statement (it is then
/// reading the command): the statement runs on to its end, and a reader being disposed reads all of it. So while the
/// statement is still running after <see cref="Patience"/>, its backend is asked again with <c>pg_cancel_backend</c>
/// from another connection of the same pool.
/// </summary>
/// <remarks>
/// Only on direct connections, where the connection's process ID is the backend's: behind pgBouncer it is the
/// pooler's own number, and signalling it could stop someone else's statement. The signal names the process ID, and
/// it is only sent while that backend is running this very statement text for the same user.
/// </remarks>
internal static class StatementStopper
{
    /// <summary>How long a cancelled statement may take to stop before its backend is signalled (again).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromMilliseconds(100);

    private const int MaxSignals = 50; // 5 s of patience in all; then the statement is left to the server
    private static readonly TimeSpan SignalTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Waits for <paramref name="statement"/>, signalling its backend while it goes on after a cancel.</summary>
    public static async Task StopAsync(Task statement, NpgsqlDataSource dataSource, int processId, string sql)
    {
        for (int signals = 0; signals < MaxSignals; signals++)
        {
            if (await Task.WhenAny(statement, Task.Delay(Patience)).ConfigureAwait(false) == statement)
            {
                return;
            }

            await SignalAsync(dataSource, processId, sql).ConfigureAwait(false);
        }
    }

    // pg_stat_activity shows the statement's text cut at track_activity_query_size: the running text is a prefix of ours.
    private static async Task SignalAsync(NpgsqlDataSource dataSource, int processId, string sql)
    {
        try
        {
            using var timeout = new CancellationTokenSource(SignalTimeout);
            await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(timeout.Token).ConfigureAwait(false);
            await using var command = new NpgsqlCommand(
                "select pg_cancel_backend(pid) from pg_stat_activity where pid = $1 and state = 'active' and usename = current_user and query <> '' and starts_with($2, query)",
                connection);
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = processId });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sql });
            await command.ExecuteNonQueryAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or ObjectDisposedException)
        {
            // Best effort: the pool is exhausted or the server away; the statement ends on its own.
        }
    }
}

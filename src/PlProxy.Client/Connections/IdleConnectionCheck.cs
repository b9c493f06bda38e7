using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Npgsql;
using Npgsql.Internal;

// NpgsqlConnector is public but marked experimental: only its identity and its socket are used here, and a change to
// either turns the check off rather than fail a call.
#pragma warning disable NPG9001

namespace PlProxy.Client.Connections;

/// <summary>
/// PL/Proxy's check of an old connection (<c>check_old_conn</c>): before a call goes out on a pooled connection idle
/// for <see cref="IdleBeforeCheck"/> or longer, its socket is looked at without waiting. A backend says nothing unasked
/// on an idle partition connection, so input waiting there is its goodbye — terminated by an operator or a timeout,
/// shut down, restarted, or the connection closed by a pooler — and the call sent on it would fail (with every call of
/// its shared round trip) though the server is fine. Such a connection is read with a trivial statement, which ends it
/// in Npgsql's pool when the backend is gone, and the pool's next connection is taken. Npgsql checks no idle
/// connection itself, so its socket is reached through Npgsql's internals; should they change, the check turns off (a
/// test names it).
/// </summary>
internal static class IdleConnectionCheck
{
    /// <summary>How long a connection must have been idle to be looked at: PL/Proxy's <c>PLPROXY_IDLE_CONN_CHECK</c>.</summary>
    public static readonly TimeSpan IdleBeforeCheck = TimeSpan.FromSeconds(2);

    private const int MaxDropped = 1000;

    // When each connection was last handed to a call (its start, as PL/Proxy keeps query_time).
    private static readonly ConditionalWeakTable<NpgsqlConnector, StrongBox<long>> LastUse = [];

    private static volatile bool _unavailable;

    /// <summary>True while Npgsql's internals let the check look at sockets.</summary>
    public static bool Available => !_unavailable;

    /// <summary>A connection of <paramref name="dataSource"/>'s pool, none that its backend has left while it was idle.</summary>
    public static async ValueTask<NpgsqlConnection> OpenAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // Each round drops one connection the pool held (a restarted server leaves all of them dead), or marks the one it
        // got as just used, so the loop ends; the bound only guards against a pool that never does either.
        for (int dropped = 0; dropped < MaxDropped && HasInputWaiting(connection); dropped++)
        {
            try
            {
                await using (var probe = new NpgsqlCommand("select 1", connection))
                {
                    await probe.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                return connection; // what was waiting did not end it
            }
            catch (NpgsqlException) when (!cancellationToken.IsCancellationRequested)
            {
                // Gone: Npgsql has broken the connection, and its pool drops it.
            }
            catch
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            await connection.DisposeAsync().ConfigureAwait(false);
            connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }

        return connection;
    }

    // Whether the connection was idle long enough to be looked at, and input waits on its socket.
    private static bool HasInputWaiting(NpgsqlConnection connection)
    {
        if (_unavailable)
        {
            return false;
        }

        try
        {
            if (ConnectorOf(connection) is not { } connector)
            {
                return false;
            }

            long now = Stopwatch.GetTimestamp();
            StrongBox<long> last = LastUse.GetValue(connector, static _ => new StrongBox<long>(Stopwatch.GetTimestamp()));
            long previous = Interlocked.Exchange(ref last.Value, now);
            return Stopwatch.GetElapsedTime(previous, now) >= IdleBeforeCheck && SocketOf(connector) is { } socket && socket.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception e) when (e is MissingMethodException or MissingFieldException)
        {
            _unavailable = true; // another Npgsql: calls go out unchecked, as Npgsql sends them
            return false;
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_Connector")]
    private static extern NpgsqlConnector? ConnectorOf(NpgsqlConnection connection);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_socket")]
    private static extern ref Socket? SocketOf(NpgsqlConnector connector);
}

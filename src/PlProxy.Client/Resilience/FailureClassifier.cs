using System.Net.Sockets;
using Npgsql;

namespace PlProxy.Client.Resilience;

/// <summary>A partition's connection could not be opened: the call provably never reached the server.</summary>
internal sealed class ConnectFailedException(Exception inner) : Exception(inner.Message, inner);

/// <summary>Which failures may be retried and which count against a partition's circuit breaker.</summary>
internal static class FailureClassifier
{
    /// <summary>True when the call provably never ran: the connection could not be opened.</summary>
    public static bool NeverReachedServer(Exception? error) => error is ConnectFailedException;

    /// <summary>True for failures of the partition rather than of the call: connection trouble, shutdowns, serialization and deadlock aborts.</summary>
    public static bool IsTransient(Exception? error) => error switch
    {
        ConnectFailedException => true,
        PostgresException postgres => TransientSqlStates.Contains(postgres.SqlState),
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is SocketException or IOException or TimeoutException,
        SocketException or IOException or TimeoutException => true,
        _ => false,
    };

    /// <summary>True for failures that say the partition database itself is unwell (for the circuit breaker).</summary>
    public static bool IsPartitionFailure(Exception? error) => error switch
    {
        ConnectFailedException => true,
        PostgresException postgres => postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
            or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections or PostgresErrorCodes.ConnectionFailure
            or PostgresErrorCodes.ConnectionDoesNotExist or PostgresErrorCodes.ConnectionException,
        NpgsqlException npgsql => npgsql is not PostgresException && (npgsql.IsTransient || npgsql.InnerException is SocketException or IOException or TimeoutException),
        _ => false,
    };
}

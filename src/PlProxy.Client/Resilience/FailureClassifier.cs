using System.Net.Sockets;
using Npgsql;

namespace PlProxy.Client.Resilience;

/// <summary>A partition's connection could not be opened: the call provably never reached the server.</summary>
internal sealed class ConnectFailedException(Exception inner) : Exception(inner.Message, inner);

/// <summary>Which failures may be retried and which count against a partition's circuit breaker.</summary>
internal static class FailureClassifier
{
    /// <summary>
    /// True when the call provably wrote nothing: its connection could not be opened, or the server refused it as
    /// read-only (a standby now, after a failover), which rolls back whatever the statement had begun.
    /// </summary>
    public static bool ProvablyWroteNothing(Exception? error) => error is ConnectFailedException || IsReadOnly(error);

    /// <summary>
    /// True when an open failed after the server had taken the connection: its backend was terminated while it started
    /// (57P01, during authentication or Npgsql's first queries) or the connection reset midway. One connection lost,
    /// not a server that refuses connections or cannot be reached (those fail at the connect itself).
    /// </summary>
    public static bool LostWhileOpening(NpgsqlException error) =>
        error is PostgresException { SqlState: PostgresErrorCodes.AdminShutdown } || (error is not PostgresException && error.InnerException is IOException);

    /// <summary>
    /// True when the server refused to write because it is read-only (25006): a standby now, after a failover. The
    /// statement's transaction wrote nothing, so it may be sent again (to the new primary).
    /// </summary>
    public static bool IsReadOnly(Exception? error) => error is PostgresException { SqlState: PostgresErrorCodes.ReadOnlySqlTransaction };

    /// <summary>
    /// True when a standby could not serve a read: it cannot be reached, is shutting down or starting, or cancelled the
    /// read for a conflict with recovery. The read is sent to the primary instead (a read changes nothing, so sending it again is safe).
    /// A standby cancels a read for a conflict with recovery with 40001, or 40P01 for a buffer deadlock with recovery
    /// (it runs no serializable transaction that could fail so otherwise); the message is in the server's language, so
    /// the SQLSTATE alone decides.
    /// </summary>
    public static bool StandbyCannotServe(Exception? error) => error switch
    {
        ConnectFailedException => true,
        PostgresException postgres => IsPartitionFailure(postgres) || IsReadOnly(postgres)
            || postgres.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected,
        NpgsqlException npgsql => IsPartitionFailure(npgsql),
        _ => false,
    };

    /// <summary>True for failures of the partition rather than of the call: connection trouble, shutdowns, serialization and deadlock aborts.</summary>
    public static bool IsTransient(Exception? error) => error switch
    {
        ConnectFailedException => true,
        PostgresException postgres => TransientSqlStates.Contains(postgres.SqlState),
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is SocketException or IOException or TimeoutException,
        SocketException or IOException or TimeoutException => true,
        _ => false,
    };

    /// <summary>
    /// True for failures that say the partition database itself is unwell (for the circuit breaker). A read-only
    /// refusal (25006) is not one: the server is up and serves reads — a partition an operator made read-only
    /// (<c>default_transaction_read_only</c>), or an old primary that is a standby now, whose connections the retry
    /// leaves for the new primary — so it is retried (it wrote nothing) but never opens the circuit.
    /// </summary>
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

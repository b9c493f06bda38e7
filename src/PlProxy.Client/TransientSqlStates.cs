using Npgsql;

namespace PlProxy.Client;

/// <summary>
/// The SQLSTATEs of failures that say nothing about the call itself, so that the same call may succeed when tried
/// again: lost or refused connections, shutdowns, serialization and deadlock aborts. The library's own retries and
/// <see cref="PlProxyException.IsTransient"/> read this one list.
/// </summary>
internal static class TransientSqlStates
{
    /// <summary>True when <paramref name="sqlState"/> names a transient failure.</summary>
    public static bool Contains(string? sqlState) => sqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
        or PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
        or PostgresErrorCodes.TooManyConnections or PostgresErrorCodes.ConnectionFailure or PostgresErrorCodes.ConnectionDoesNotExist
        or PostgresErrorCodes.ConnectionException or PostgresErrorCodes.SqlClientUnableToEstablishSqlConnection;
}

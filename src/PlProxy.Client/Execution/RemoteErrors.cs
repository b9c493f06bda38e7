using Npgsql;
using PlProxy.Client.Connections;
using PlProxy.Client.Resilience;
using Polly.CircuitBreaker;

namespace PlProxy.Client.Execution;

/// <summary>
/// Every error a call raises about its partitions, in PL/Proxy's words where it has them, with the context a caller
/// needs (<see cref="PlProxyException.Cluster"/>, <see cref="PlProxyException.Function"/>, partition and database):
/// one place owns the wording and the properties.
/// </summary>
internal static class RemoteErrors
{
    /// <summary>The SQLSTATE of calls that never reached their partition (could not connect, or its circuit is open): safe to send elsewhere.</summary>
    public const string ConnectFailedState = PostgresErrorCodes.SqlClientUnableToEstablishSqlConnection;

    // Remote errors become PlProxyException with PL/Proxy's wording and the remote SQLSTATE; cancellation passes through.
    public static PlProxyException? Wrap(Exception error, Route route, NpgsqlDataSource dataSource, int partition)
    {
        if (error is PlProxyException or OperationCanceledException or ObjectDisposedException)
        {
            return null;
        }

        string database = DatabaseName.Of(dataSource);
        Exception cause = error is ConnectFailedException connect ? connect.InnerException! : error;
        (string message, string state) = error switch
        {
            BrokenCircuitException => ($"circuit open: the partition failed repeatedly, calls to it fail fast until it recovers", ConnectFailedState),
            ConnectFailedException => ($"could not connect: {cause.Message}", ConnectFailedState),
            PostgresException remote => ($"REMOTE ERROR: {remote.MessageText}", remote.SqlState),
            NpgsqlException => ($"connection failed: {error.Message}", PostgresErrorCodes.ConnectionFailure),
            _ => ($"{error.GetType().Name}: {error.Message}", PostgresErrorCodes.InternalError),
        };

        return route.ErrorsAt(partition, database).Error(message, state, cause);
    }

    /// <summary>PL/Proxy's rule for a function that does not return a set: exactly one row from all partitions together.</summary>
    public static PlProxyException RowCount(Route route, int rows) =>
        route.Errors.Error($"Non-SETOF function requires 1 row from remote query, got {rows}", rows == 0 ? PostgresErrorCodes.NoDataFound : PostgresErrorCodes.TooManyRows);

    /// <summary>The connection budget of the partition's host was exhausted for longer than its timeout.</summary>
    public static PlProxyException Budget(Route route, string database, int partition, PlProxyException budget) =>
        route.ErrorsAt(partition, database).Error(budget.Message, budget.SqlState);

    public static PlProxyException QueryTimeout(Route route, Exception cancellation) =>
        route.Errors.Error(
            $"query_timeout of {route.Cluster.QueryTimeout!.Value.TotalSeconds:0.###} s expired on cluster '{route.Cluster.Layout.Name}'; " + (cancellation is AbandonedCallException
                ? "the call had gone to its partition in a round trip shared with other calls, so its statement ran on with theirs (a round trip is stopped only once all its callers have left) and may have completed"
                : "the remote statements were cancelled"),
            PostgresErrorCodes.QueryCanceled,
            cancellation);
}

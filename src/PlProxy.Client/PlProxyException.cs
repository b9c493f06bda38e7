using System.Data.Common;

namespace PlProxy.Client;

/// <summary>
/// An error of a proxied call: a routing error of the library (SQLSTATE <c>XX000</c>, as PL/Proxy raises them), a
/// result-shape error (<c>P0002</c>/<c>P0003</c>), or a remote error, whose SQLSTATE it keeps.
/// </summary>
public sealed class PlProxyException : DbException
{
    /// <summary>PL/Proxy's SQLSTATE for its own errors (<c>internal_error</c>).</summary>
    public const string InternalErrorState = "XX000";

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong, naming the function, cluster or argument involved.</param>
    /// <param name="sqlState">The SQLSTATE: the remote one, or the library's (see <see cref="InternalErrorState"/>).</param>
    /// <param name="innerException">The remote error, if any.</param>
    public PlProxyException(string message, string sqlState = InternalErrorState, Exception? innerException = null)
        : base(message, innerException)
    {
        SqlState = sqlState;
    }

    /// <summary>The SQLSTATE of the error.</summary>
    /// <remarks>See <see cref="IsTransient"/> for whether trying the call again may succeed.</remarks>
    public override string SqlState { get; }

    /// <summary>
    /// True when the same call may succeed if tried again: the partition could not be reached or its connection was
    /// lost (class <c>08</c>, a circuit open), it was shutting down or out of connections (<c>57P01</c>, <c>57P03</c>,
    /// <c>53300</c>), or it aborted the transaction for a serialization failure or deadlock (<c>40001</c>,
    /// <c>40P01</c>): the classification the library's own retries use. False for the call's own errors (a
    /// constraint, a routing error, a query_timeout).
    /// </summary>
    public override bool IsTransient => TransientSqlStates.Contains(SqlState);

    /// <summary>The cluster the call was routed in, when known.</summary>
    public string? Cluster { get; init; }

    /// <summary>The proxy function, when known.</summary>
    public string? Function { get; init; }

    /// <summary>The partition index the error concerns, when it concerns one.</summary>
    public int? PartitionIndex { get; init; }

    /// <summary>The database the error came from, when it came from one.</summary>
    public string? Database { get; init; }
}

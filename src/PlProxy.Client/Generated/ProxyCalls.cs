using System.Data.Common;
using System.ComponentModel;

namespace PlProxy.Client.Generated;

/// <summary>The calls generated proxy methods make, one per result shape.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ProxyCalls
{
    /// <summary>A method returning nothing: PL/Proxy's rule of exactly one row still applies.</summary>
    /// <param name="source">The data source.</param>
    /// <param name="method">The method.</param>
    /// <param name="arguments">The arguments, in parameter order.</param>
    /// <param name="cancellationToken">Cancels the remote statements.</param>
    /// <returns>A task that completes when the call has run.</returns>
    public static Task ExecuteAsync(PlProxyDataSource source, ProxyMethod method, object?[] arguments, CancellationToken cancellationToken) =>
        source.Executor.SingleAsync(method, arguments, static _ => true, cancellationToken);

    /// <summary>A method returning one value or row: exactly one row across all partitions called (P0002/P0003 otherwise).</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="source">The data source.</param>
    /// <param name="method">The method.</param>
    /// <param name="arguments">The arguments, in parameter order.</param>
    /// <param name="read">Reads the result from the current row.</param>
    /// <param name="cancellationToken">Cancels the remote statements.</param>
    /// <returns>The result.</returns>
    public static Task<T> SingleAsync<T>(PlProxyDataSource source, ProxyMethod method, object?[] arguments, Func<DbDataReader, T> read, CancellationToken cancellationToken) =>
        source.Executor.SingleAsync(method, arguments, read, cancellationToken);

    /// <summary>A set-returning method collected into a list: every partition's rows, partition by partition.</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="source">The data source.</param>
    /// <param name="method">The method.</param>
    /// <param name="arguments">The arguments, in parameter order.</param>
    /// <param name="read">Reads one row.</param>
    /// <param name="cancellationToken">Cancels the remote statements.</param>
    /// <returns>The rows.</returns>
    public static Task<IReadOnlyList<T>> ListAsync<T>(PlProxyDataSource source, ProxyMethod method, object?[] arguments, Func<DbDataReader, T> read, CancellationToken cancellationToken) =>
        source.Executor.ListAsync(method, arguments, read, cancellationToken);

    /// <summary>A set-returning method that tolerates failing partitions: the rows of those that answered and an error per failed one.</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="source">The data source.</param>
    /// <param name="method">The method.</param>
    /// <param name="arguments">The arguments, in parameter order.</param>
    /// <param name="read">Reads one row.</param>
    /// <param name="cancellationToken">Cancels the remote statements.</param>
    /// <returns>The partial result.</returns>
    public static Task<Resilience.PlProxyPartialResult<T>> PartialAsync<T>(PlProxyDataSource source, ProxyMethod method, object?[] arguments, Func<DbDataReader, T> read, CancellationToken cancellationToken) =>
        source.Executor.PartialAsync(method, arguments, read, cancellationToken);

    /// <summary>A set-returning method streamed: rows as they arrive from any partition, with bounded buffering.</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="source">The data source.</param>
    /// <param name="method">The method.</param>
    /// <param name="arguments">The arguments, in parameter order.</param>
    /// <param name="read">Reads one row.</param>
    /// <param name="cancellationToken">Cancels the remote statements.</param>
    /// <returns>The rows.</returns>
    public static IAsyncEnumerable<T> StreamAsync<T>(PlProxyDataSource source, ProxyMethod method, object?[] arguments, Func<DbDataReader, T> read, CancellationToken cancellationToken) =>
        source.Executor.StreamAsync(method, arguments, read, cancellationToken);
}

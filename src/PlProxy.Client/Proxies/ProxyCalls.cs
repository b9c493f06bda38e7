using System.ComponentModel;
using PlProxy.Client.Execution;

namespace PlProxy.Client.Proxies;

/// <summary>The calls generated proxy methods make, one per result shape.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ProxyCalls
{
    /// <summary>A method returning nothing: PL/Proxy's rule of exactly one row still applies.</summary>
    /// <param name="executor">The data source's executor.</param>
    /// <param name="method">The method.</param>
    /// <param name="arguments">The arguments, in parameter order.</param>
    /// <param name="cancellationToken">Cancels the remote statements.</param>
    /// <returns>A task that completes when the call has run.</returns>
    public static Task ExecuteAsync(ProxyExecutor executor, ProxyMethod method, object?[] arguments, CancellationToken cancellationToken) =>
        executor.Calls.SingleAsync(method.Call, arguments, RowReaders.Ignored, cancellationToken);

    /// <summary>A method returning one value or row: exactly one row across all partitions called (P0002/P0003 otherwise).</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="executor">The data source's executor.</param>
    /// <param name="method">The method.</param>
    /// <param name="arguments">The arguments, in parameter order.</param>
    /// <param name="read">Reads the result from the current row.</param>
    /// <param name="cancellationToken">Cancels the remote statements.</param>
    /// <returns>The result.</returns>
    public static Task<T> SingleAsync<T>(ProxyExecutor executor, ProxyMethod method, object?[] arguments, ProxyRowReader<T> read, CancellationToken cancellationToken) =>
        executor.Calls.SingleAsync(method.Call, arguments, read.Reader, cancellationToken);

    /// <summary>A set-returning method collected into a list: every partition's rows, partition by partition.</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="executor">The data source's executor.</param>
    /// <param name="method">The method.</param>
    /// <param name="arguments">The arguments, in parameter order.</param>
    /// <param name="read">Reads one row.</param>
    /// <param name="cancellationToken">Cancels the remote statements.</param>
    /// <returns>The rows.</returns>
    public static Task<IReadOnlyList<T>> ListAsync<T>(ProxyExecutor executor, ProxyMethod method, object?[] arguments, ProxyRowReader<T> read, CancellationToken cancellationToken) =>
        executor.Calls.ListAsync(method.Call, arguments, read.Reader, cancellationToken);

    /// <summary>A set-returning method that tolerates failing partitions: the rows of those that answered and an error per failed one.</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="executor">The data source's executor.</param>
    /// <param name="method">The method.</param>
    /// <param name="arguments">The arguments, in parameter order.</param>
    /// <param name="read">Reads one row.</param>
    /// <param name="cancellationToken">Cancels the remote statements.</param>
    /// <returns>The partial result.</returns>
    public static Task<PlProxyPartialResult<T>> PartialAsync<T>(ProxyExecutor executor, ProxyMethod method, object?[] arguments, ProxyRowReader<T> read, CancellationToken cancellationToken) =>
        executor.Calls.PartialAsync(method.Call, arguments, read.Reader, cancellationToken);

    /// <summary>A set-returning method streamed: rows as they arrive from any partition, with bounded buffering.</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="executor">The data source's executor.</param>
    /// <param name="method">The method.</param>
    /// <param name="arguments">The arguments, in parameter order.</param>
    /// <param name="read">Reads one row.</param>
    /// <param name="cancellationToken">Cancels the remote statements.</param>
    /// <returns>The rows.</returns>
    public static IAsyncEnumerable<T> StreamAsync<T>(ProxyExecutor executor, ProxyMethod method, object?[] arguments, ProxyRowReader<T> read, CancellationToken cancellationToken) =>
        executor.Calls.StreamAsync(method.Call, arguments, read.Reader, cancellationToken);
}

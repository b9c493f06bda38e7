using System.Collections.Concurrent;
using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Execution;
using PlProxy.Client.Generated;
using PlProxy.Client.Planning;

namespace PlProxy.Client;

/// <summary>
/// The root of PlProxy.Client, like Npgsql's <see cref="NpgsqlDataSource"/>: it owns the clusters and one pooled
/// Npgsql data source per distinct connection string (shared by every cluster and function that uses it, as PL/Proxy
/// shares connections), creates the generated proxies, and runs bodies given as text. Long-lived and thread-safe;
/// disposing it disposes the pools.
/// </summary>
public sealed class PlProxyDataSource : IAsyncDisposable, IDisposable
{
    private readonly Dictionary<string, ClusterRuntime> _clusters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, NpgsqlDataSource> _dataSources = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ProxyMethod> _commandMethods = new(StringComparer.Ordinal);
    private int _disposed;

    private PlProxyDataSource(IRandomSource random)
    {
        Random = random;
        Executor = new CallExecutor(this);
    }

    internal IRandomSource Random { get; }

    internal CallExecutor Executor { get; }

    /// <summary>Creates a data source for the clusters in <paramref name="options"/>.</summary>
    /// <param name="options">The clusters.</param>
    /// <returns>The data source.</returns>
    /// <exception cref="ArgumentException">A cluster is invalid; the message names the cluster and what is wrong (never a password).</exception>
    public static PlProxyDataSource Create(PlProxyOptions options) => Create(options, SharedRandomSource.Instance);

    internal static PlProxyDataSource Create(PlProxyOptions options, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(options);
        var source = new PlProxyDataSource(random);
        try
        {
            foreach ((string name, PlProxyClusterOptions cluster) in options.Clusters)
            {
                var layout = new ClusterLayout(
                    name,
                    [.. cluster.Partitions],
                    cluster.ModularMapping ? PartitionMapping.Modular : PartitionMapping.Mask,
                    cluster.HashFlavor == PlProxyHashFlavor.Legacy83 ? HashFlavor.Legacy83 : HashFlavor.Modern,
                    cluster.CaseMapping == PlProxyCaseMapping.CLocale ? CaseMapping.CLocale : CaseMapping.AsciiOnly);
                var dataSources = new NpgsqlDataSource[layout.ConnectionCount];
                for (int connection = 0; connection < dataSources.Length; connection++)
                {
                    dataSources[connection] = source.DataSourceFor(layout.ConnectionString(connection), name);
                }

                source._clusters.Add(name, new ClusterRuntime(layout, dataSources));
            }
        }
        catch
        {
            source.Dispose();
            throw;
        }

        return source;
    }

    /// <summary>The generated implementation of <typeparamref name="TInterface"/> over this data source.</summary>
    /// <typeparam name="TInterface">An interface marked <see cref="PlProxyAttribute"/>.</typeparam>
    /// <returns>The proxy.</returns>
    /// <exception cref="InvalidOperationException">No implementation was generated for the interface.</exception>
    public TInterface CreateProxy<TInterface>()
        where TInterface : class
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        Func<PlProxyDataSource, TInterface> factory = ProxyFactory.Find<TInterface>()
            ?? throw new InvalidOperationException(
                $"No PL/Proxy implementation was generated for {typeof(TInterface).FullName}. Mark the interface with [PlProxy] and make sure its project references the PlProxy.Client package, which brings the source generator.");
        return factory(this);
    }

    /// <summary>Runs a body given as text and returns its single value (exactly one row, PL/Proxy's rule).</summary>
    /// <typeparam name="T">The result type (a scalar).</typeparam>
    /// <param name="command">The function, body and arguments.</param>
    /// <param name="cancellationToken">Cancels the remote statements.</param>
    /// <returns>The value; default when it is NULL.</returns>
    public Task<T?> ExecuteScalarAsync<T>(PlProxyCommand command, CancellationToken cancellationToken = default)
    {
        ProxyMethod method = MethodFor(command, returnsSet: false, PgTypeNames.Of(typeof(T)), isVoid: false);
        return Executor.SingleAsync(method, command.Values(), static r => r.IsDBNull(0) ? default : r.GetFieldValue<T>(0), cancellationToken);
    }

    /// <summary>Runs a set-returning body given as text and returns every row, partition by partition.</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="command">The function, body and arguments.</param>
    /// <param name="read">Reads one row (columns by name or position).</param>
    /// <param name="cancellationToken">Cancels the remote statements.</param>
    /// <returns>The rows.</returns>
    public Task<IReadOnlyList<T>> QueryAsync<T>(PlProxyCommand command, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(read);
        return Executor.ListAsync(MethodFor(command, returnsSet: true, resultPgType: null, isVoid: false), command.Values(), read, cancellationToken);
    }

    /// <summary>Runs a body given as text for its effect.</summary>
    /// <param name="command">The function, body and arguments.</param>
    /// <param name="cancellationToken">Cancels the remote statements.</param>
    /// <returns>A task that completes when the call has run.</returns>
    public Task ExecuteAsync(PlProxyCommand command, CancellationToken cancellationToken = default) =>
        Executor.SingleAsync(MethodFor(command, returnsSet: false, resultPgType: null, isVoid: true), command.Values(), static _ => true, cancellationToken);

    /// <summary>Disposes every connection pool.</summary>
    /// <returns>A task that completes when the pools are closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            foreach (NpgsqlDataSource dataSource in _dataSources.Values)
            {
                await dataSource.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Disposes every connection pool.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            foreach (NpgsqlDataSource dataSource in _dataSources.Values)
            {
                dataSource.Dispose();
            }
        }
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed != 0, this);

    internal ClusterRuntime Cluster(string name, ProxyMethod method) =>
        _clusters.TryGetValue(name, out ClusterRuntime? cluster)
            ? cluster
            : throw new PlProxyException($"{method.DisplayName}: no such cluster: {name}") { Cluster = name, Function = method.Function.Signature.Name };

    /// <summary>The shared pool for a connection string (CONNECT targets included).</summary>
    internal NpgsqlDataSource DataSourceFor(string connectionString, string? cluster = null)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return _dataSources.GetOrAdd(connectionString, static (cs, cluster) =>
        {
            try
            {
                return NpgsqlDataSource.Create(cs);
            }
            catch (ArgumentException e)
            {
                // Npgsql names the offending keyword; the connection string itself (and its password) stays out.
                throw new ArgumentException($"An invalid connection string{(cluster is null ? "" : $" in cluster '{cluster}'")}: {e.Message}");
            }
        }, cluster);
    }

    private ProxyMethod MethodFor(PlProxyCommand command, bool returnsSet, string? resultPgType, bool isVoid)
    {
        ArgumentNullException.ThrowIfNull(command);
        ProxyParameter[] parameters = command.Parameters();
        string key = $"{command.Function}\u0001{command.Body}\u0001{string.Join(",", parameters)}\u0001{returnsSet}{resultPgType}{isVoid}";
        return _commandMethods.GetOrAdd(key, _ =>
        {
            try
            {
                return ProxyMethod.Create(command.Function, null, command.Body, false, parameters, returnsSet, resultPgType, isVoid, []);
            }
            catch (InvalidOperationException e)
            {
                throw new ArgumentException(e.Message, nameof(command));
            }
        });
    }
}

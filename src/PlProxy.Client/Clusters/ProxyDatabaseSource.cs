using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Telemetry;

namespace PlProxy.Client.Clusters;

/// <summary>
/// An existing PL/Proxy proxy database as a source of cluster definitions: loads a cluster the first time a call
/// names it, and checks the loaded ones' versions periodically and on demand, reloading those that changed.
/// </summary>
internal sealed class ProxyDatabaseSource : IAsyncDisposable
{
    private readonly ClusterRegistry _clusters;
    private readonly NpgsqlDataSource _database;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _loading = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Task _polling;

    public ProxyDatabaseSource(ClusterRegistry clusters, NpgsqlDataSource database, TimeSpan pollInterval, ILogger logger)
    {
        _clusters = clusters;
        _logger = logger;
        _database = database;
        _polling = PollAsync(pollInterval, _shutdown.Token);
    }

    /// <summary>Reloads every cluster from this database whose version changed; returns how many.</summary>
    public async Task<int> RefreshAsync(CancellationToken cancellationToken)
    {
        int reloaded = 0;
        foreach ((string name, ClusterSnapshot cluster) in _clusters.Current)
        {
            if (cluster.Version is null)
            {
                continue; // configured in code or configuration, not from the proxy database
            }

            string version = await ProxyDatabaseReader.VersionAsync(_database, name, cancellationToken).ConfigureAwait(false);
            if (version != cluster.Version)
            {
                await LoadAsync(name, cancellationToken).ConfigureAwait(false);
                reloaded++;
            }
        }

        return reloaded;
    }

    /// <summary>Loads a cluster's current definition and publishes it, unless that version is already serving.</summary>
    public async Task LoadAsync(string name, CancellationToken cancellationToken)
    {
        SemaphoreSlim gate = _loading.GetOrAdd(name, static _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ProxyClusterDefinition definition = await ProxyDatabaseReader.LoadAsync(_database, name, cancellationToken).ConfigureAwait(false);
            if (_clusters.Current.TryGetValue(name, out ClusterSnapshot? current) && current.Version == definition.Version)
            {
                return; // another caller loaded this version meanwhile
            }

            List<string> failures = [.. PlProxyOptionsValidator.ClusterFailures(name, definition.Options)];
            if (failures.Count > 0)
            {
                throw new PlProxyException($"The proxy database's definition of cluster '{name}' is invalid: {string.Join(" ", failures)}") { Cluster = name };
            }

            _clusters.Publish(name, definition.Options, definition.Version);
            Log.ClusterReloaded(_logger, name, definition.Version);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Stops polling and closes the connection pool of the proxy database.</summary>
    public async ValueTask DisposeAsync()
    {
        await _shutdown.CancelAsync().ConfigureAwait(false);
        await _polling.ConfigureAwait(false);
        await _database.DisposeAsync().ConfigureAwait(false);
        _shutdown.Dispose();
    }

    private async Task PollAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await RefreshAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The proxy database is unreachable or returned garbage: keep serving the versions we have.
                    Log.RefreshFailed(_logger, e);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}

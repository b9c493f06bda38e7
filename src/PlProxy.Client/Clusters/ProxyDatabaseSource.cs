using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Telemetry;

namespace PlProxy.Client.Clusters;

/// <summary>
/// An existing PL/Proxy proxy database as a source of cluster definitions: loads a cluster the first time a call
/// names it, and checks the loaded ones' versions when the proxy database notifies a change on
/// <see cref="ChangeChannel"/> (within milliseconds), periodically (the fallback) and on demand, reloading those
/// that changed. After its listening connection was lost, it listens again and checks every version, since
/// notifications sent meanwhile are gone.
/// </summary>
internal sealed class ProxyDatabaseSource : IAsyncDisposable
{
    /// <summary>The channel a map change is announced on: <c>NOTIFY plproxy_cluster_changed, 'cluster'</c> (an empty payload: check every cluster).</summary>
    public const string ChangeChannel = "plproxy_cluster_changed";

    private static readonly TimeSpan FirstRelistenDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LastRelistenDelay = TimeSpan.FromSeconds(30);

    private readonly ClusterRegistry _clusters;
    private readonly NpgsqlDataSource _database;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _loading = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Task _polling;
    private readonly Task _listening;

    private readonly PlProxyClusterOptions? _clientSide;

    public ProxyDatabaseSource(ClusterRegistry clusters, NpgsqlDataSource database, TimeSpan pollInterval, ILogger logger, PlProxyClusterOptions? clientSide = null)
    {
        _clientSide = clientSide?.ClientSideCopy(); // frozen: later changes to the options object change nothing
        _clusters = clusters;
        _logger = logger;
        _database = database;
        _polling = PollAsync(pollInterval, _shutdown.Token);
        _listening = ListenAsync(_shutdown.Token);
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

    /// <summary>
    /// Loads a cluster's current definition and publishes it, unless that version is already serving. With
    /// <paramref name="unlessServing"/> (a call found the cluster missing), a cluster another caller loaded while this
    /// one waited its turn is not read again: the first calls of a cold start read the proxy database once, not once each.
    /// </summary>
    public async Task LoadAsync(string name, CancellationToken cancellationToken, bool unlessServing = false)
    {
        SemaphoreSlim gate = _loading.GetOrAdd(name, static _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (unlessServing && _clusters.Current.ContainsKey(name))
            {
                return;
            }

            ProxyClusterDefinition definition = await ProxyDatabaseReader.LoadAsync(_database, name, _clientSide, cancellationToken).ConfigureAwait(false);
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
        await _listening.ConfigureAwait(false);
        await _database.DisposeAsync().ConfigureAwait(false);
        _shutdown.Dispose();
    }

    // One connection LISTENs for as long as the source lives; a notification reloads the cluster it names (or checks
    // them all). A lost connection is replaced after a pause, and every version is checked once listening again.
    private async Task ListenAsync(CancellationToken cancellationToken)
    {
        await Task.Yield(); // the constructor returns at once
        bool lost = false;
        TimeSpan pause = FirstRelistenDelay;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using NpgsqlConnection connection = await _database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                var changed = new ConcurrentQueue<string>();
                connection.Notification += (_, e) => changed.Enqueue(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {ChangeChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                pause = FirstRelistenDelay;
                if (lost)
                {
                    lost = false;
                    await ReloadAsync("", cancellationToken).ConfigureAwait(false); // what was announced while nobody listened
                }

                while (true)
                {
                    await connection.WaitAsync(cancellationToken).ConfigureAwait(false); // returns after a notification; throws when the connection is lost
                    while (changed.TryDequeue(out string? cluster))
                    {
                        await ReloadAsync(cluster, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                lost = true;
                Log.RefreshFailed(_logger, e);
                try
                {
                    await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
                    pause = pause * 2 < LastRelistenDelay ? pause * 2 : LastRelistenDelay;
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Reloads <paramref name="cluster"/> if it is loaded from this database (a configured cluster is left alone).</summary>
    public Task ReloadIfServedAsync(string cluster, CancellationToken cancellationToken) =>
        _clusters.Current.TryGetValue(cluster, out ClusterSnapshot? current) && current.Version is not null
            ? LoadAsync(cluster, cancellationToken)
            : Task.CompletedTask;

    /// <summary>
    /// Reloads the named cluster (every cluster for an empty name: a notification without payload) if it is loaded
    /// from this database. A definition that cannot be read is logged and left to the next notification or poll, never
    /// thrown: the caller (a listener, a fenced call) goes on with the version it has.
    /// </summary>
    public async Task ReloadAsync(string cluster, CancellationToken cancellationToken)
    {
        try
        {
            await (string.IsNullOrEmpty(cluster) ? RefreshAsync(cancellationToken) : ReloadIfServedAsync(cluster, cancellationToken)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.RefreshFailed(_logger, e);
        }
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

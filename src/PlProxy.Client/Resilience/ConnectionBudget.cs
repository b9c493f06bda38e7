using Npgsql;
using PlProxy.Client.Connections;

namespace PlProxy.Client.Resilience;

/// <summary>
/// At most N partition calls in flight per database host, across every pool on it; waiters are served in arrival
/// order, and one that waits too long fails with SQLSTATE 53300 (too_many_connections) naming the host. Closed with its
/// data source: what waits fails with <see cref="ObjectDisposedException"/>.
/// </summary>
internal sealed class ConnectionBudget(int maxPerHost, TimeSpan timeout)
{
    private readonly Dictionary<string, SemaphoreSlim> _hosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly CancellationTokenSource _closed = new();

    public async ValueTask<IDisposable> EnterAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        string host = DatabaseName.HostOf(dataSource);
        SemaphoreSlim gate;
        lock (_hosts)
        {
            if (!_hosts.TryGetValue(host, out gate!))
            {
                gate = new SemaphoreSlim(maxPerHost, maxPerHost);
                _hosts.Add(host, gate);
            }
        }

        if (!gate.Wait(0))
        {
            await WaitAsync(gate, host, cancellationToken).ConfigureAwait(false);
        }

        return new Lease(gate);
    }

    /// <summary>Ends every wait for the budget as the data source is disposed (<see cref="ObjectDisposedException"/>), and every later one.</summary>
    public void Close() => _closed.Cancel();

    // The host's calls in flight are at the budget: wait for one to end, the caller cancels or the data source is disposed.
    private async Task WaitAsync(SemaphoreSlim gate, string host, CancellationToken cancellationToken)
    {
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token);
        bool entered;
        try
        {
            entered = await gate.WaitAsync(timeout, waiting.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_closed.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw PoolRegistry.Disposed();
        }

        if (!entered)
        {
            throw new PlProxyException(
                $"The connection budget of {maxPerHost} calls to host {host} stayed exhausted for {timeout.TotalSeconds:0.###} s; raise MaxConnectionsPerHost or lower the load.",
                PostgresErrorCodes.TooManyConnections);
        }
    }

    private sealed class Lease(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}

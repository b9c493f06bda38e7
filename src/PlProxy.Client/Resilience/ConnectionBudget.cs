using Npgsql;
using PlProxy.Client.Connections;

namespace PlProxy.Client.Resilience;

/// <summary>
/// At most N partition calls in flight per database host, across every pool on it; waiters are served in arrival
/// order, and one that waits too long fails with SQLSTATE 53300 (too_many_connections) naming the host.
/// </summary>
internal sealed class ConnectionBudget(int maxPerHost, TimeSpan timeout)
{
    private readonly Dictionary<string, SemaphoreSlim> _hosts = new(StringComparer.OrdinalIgnoreCase);

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

        if (!await gate.WaitAsync(timeout, cancellationToken).ConfigureAwait(false))
        {
            throw new PlProxyException(
                $"The connection budget of {maxPerHost} calls to host {host} stayed exhausted for {timeout.TotalSeconds:0.###} s; raise MaxConnectionsPerHost or lower the load.",
                PostgresErrorCodes.TooManyConnections);
        }

        return new Lease(gate);
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

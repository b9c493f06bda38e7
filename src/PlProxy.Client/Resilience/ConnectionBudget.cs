using Npgsql;
using PlProxy.Client.Connections;

namespace PlProxy.Client.Resilience;

/// <summary>
/// At most N partition calls in flight per database host, across every pool on it; waiters are served in arrival
/// order, and one that waits too long fails with SQLSTATE 53300 (too_many_connections) naming the host. A call that
/// holds a connection to several databases at once (an ordered merge) reserves what it needs of each host's budget,
/// one such call at a time per host, so that two never each hold part of it while waiting for the rest. Closed with its data source: what waits
/// fails with <see cref="ObjectDisposedException"/>.
/// </summary>
internal sealed class ConnectionBudget(int maxPerHost, TimeSpan timeout)
{
    private readonly Dictionary<string, (SemaphoreSlim Calls, SemaphoreSlim Reserving)> _hosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly CancellationTokenSource _closed = new();

    public async ValueTask<IDisposable> EnterAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        string host = DatabaseName.HostOf(dataSource);
        SemaphoreSlim calls = Of(host).Calls;
        if (!calls.Wait(0))
        {
            await WaitAsync(calls, host, cancellationToken).ConfigureAwait(false);
        }

        return new Lease(calls);
    }

    /// <summary>
    /// Reserves, for a call that holds a connection to each of <paramref name="dataSources"/> at once (an ordered merge),
    /// as many calls of each host's budget as it has databases there; each database's part then takes one
    /// (<see cref="Reservation.Take"/>) rather than wait. A host's reservations are made one call at a time, and hosts
    /// in order of name, so that no two such calls each hold part of a host's budget while waiting for the rest —
    /// which would hold both until the timeout. Dispose it once every part has taken its own: what was not taken goes back.
    /// </summary>
    /// <exception cref="PlProxyException">53300: more of the databases are on one host than its budget lets one call hold (the call could never run), or the budget stayed exhausted past the timeout.</exception>
    public async ValueTask<Reservation> ReserveAsync(IEnumerable<NpgsqlDataSource> dataSources, CancellationToken cancellationToken)
    {
        var databases = new SortedDictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (NpgsqlDataSource dataSource in dataSources)
        {
            string host = DatabaseName.HostOf(dataSource);
            databases[host] = databases.GetValueOrDefault(host) + 1;
        }

        foreach ((string host, int count) in databases)
        {
            if (count > maxPerHost)
            {
                throw new PlProxyException(
                    $"The call holds a connection to each of its databases at once, and {count} of them are on host {host}: more than its connection budget of {maxPerHost} calls lets one call hold. Raise MaxConnectionsPerHost to at least {count}.",
                    PostgresErrorCodes.TooManyConnections);
            }
        }

        var reservation = new Reservation();
        try
        {
            foreach ((string host, int count) in databases)
            {
                (SemaphoreSlim calls, SemaphoreSlim reserving) = Of(host);
                if (!reserving.Wait(0))
                {
                    await WaitAsync(reserving, host, cancellationToken).ConfigureAwait(false);
                }

                try
                {
                    for (int i = 0; i < count; i++)
                    {
                        if (!calls.Wait(0))
                        {
                            await WaitAsync(calls, host, cancellationToken).ConfigureAwait(false);
                        }

                        reservation.Add(host, calls);
                    }
                }
                finally
                {
                    reserving.Release();
                }
            }
        }
        catch
        {
            reservation.Dispose();
            throw;
        }

        return reservation;
    }

    /// <summary>Ends every wait for the budget as the data source is disposed (<see cref="ObjectDisposedException"/>), and every later one.</summary>
    public void Close() => _closed.Cancel();

    private (SemaphoreSlim Calls, SemaphoreSlim Reserving) Of(string host)
    {
        lock (_hosts)
        {
            if (!_hosts.TryGetValue(host, out var found))
            {
                found = (new SemaphoreSlim(maxPerHost, maxPerHost), new SemaphoreSlim(1, 1));
                _hosts.Add(host, found);
            }

            return found;
        }
    }

    // The host's budget (or its reserving, by another call) is taken: wait for it to come free, the caller to cancel or the data source to be disposed.
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

    /// <summary>Calls of hosts' budgets reserved for the parts of one call (<see cref="ReserveAsync"/>).</summary>
    public sealed class Reservation : IDisposable
    {
        private readonly Dictionary<string, (SemaphoreSlim Calls, int Count)> _reserved = new(StringComparer.OrdinalIgnoreCase);

        /// <summary>One reserved call of <paramref name="dataSource"/>'s host, or null when none is left (the part enters the budget as any call does).</summary>
        public IDisposable? Take(NpgsqlDataSource dataSource)
        {
            string host = DatabaseName.HostOf(dataSource);
            lock (_reserved)
            {
                if (!_reserved.TryGetValue(host, out var left) || left.Count == 0)
                {
                    return null;
                }

                _reserved[host] = (left.Calls, left.Count - 1);
                return new Lease(left.Calls);
            }
        }

        /// <summary>Gives back what no part took.</summary>
        public void Dispose()
        {
            lock (_reserved)
            {
                foreach ((SemaphoreSlim calls, int count) in _reserved.Values)
                {
                    if (count > 0)
                    {
                        calls.Release(count);
                    }
                }

                _reserved.Clear();
            }
        }

        internal void Add(string host, SemaphoreSlim calls)
        {
            lock (_reserved)
            {
                _reserved[host] = (calls, _reserved.GetValueOrDefault(host).Count + 1);
            }
        }
    }
}

using System.Net;
using System.Net.Sockets;

namespace PlProxy.Client.IntegrationTests.Resilience;

/// <summary>
/// A loopback relay in front of a server, whose connections a test can cut mid-call (a reset, no error message from
/// the server): the client sees the network fail, not PostgreSQL. A tap, when given, sees every byte each client sends.
/// </summary>
internal sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly List<Socket> _sockets = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private readonly Action<ReadOnlyMemory<byte>>? _clientBytes;

    public TcpRelay(int targetPort, Action<ReadOnlyMemory<byte>>? clientBytes = null)
    {
        _targetPort = targetPort;
        _clientBytes = clientBytes;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Resets every relayed connection, both sides.</summary>
    public void CutAll()
    {
        lock (_sockets)
        {
            foreach (Socket socket in _sockets)
            {
                socket.LingerState = new LingerOption(true, 0); // close with a reset
                socket.Close();
            }

            _sockets.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        CutAll();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await server.ConnectAsync(IPAddress.Loopback, _targetPort);
            lock (_sockets)
            {
                _sockets.Add(client);
                _sockets.Add(server);
            }

            _ = PumpAsync(client, server, _clientBytes);
            _ = PumpAsync(server, client, null);
        }
    }

    private static async Task PumpAsync(Socket from, Socket to, Action<ReadOnlyMemory<byte>>? tap)
    {
        byte[] buffer = new byte[16384];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer)) > 0)
            {
                tap?.Invoke(buffer.AsMemory(0, read));
                await to.SendAsync(buffer.AsMemory(0, read));
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // cut: the other pump or CutAll closes the rest
        }
    }
}

using System.Buffers.Binary;
using System.Text;

namespace PlProxy.Client.IntegrationTests.Execution;

/// <summary>
/// The PostgreSQL frontend messages one connection's client sends, by type (<c>P</c> Parse, <c>B</c> Bind, <c>D</c>
/// Describe, <c>E</c> Execute, <c>S</c> Sync, <c>Q</c> a simple query ...), read from the raw bytes a relay sees.
/// The untyped packets before the startup message (SSL and GSS encryption requests) and the startup message are skipped.
/// </summary>
internal sealed class FrontendMessages
{
    private const int SslRequest = 80877103;
    private const int GssEncryptionRequest = 80877104;

    private readonly List<byte> _pending = [];
    private readonly StringBuilder _types = new();
    private bool _started;

    /// <summary>The types of the messages sent since the last <see cref="Clear"/>, in order.</summary>
    public string Types
    {
        get
        {
            lock (_pending)
            {
                return _types.ToString();
            }
        }
    }

    public void Clear()
    {
        lock (_pending)
        {
            _types.Clear();
        }
    }

    public void Feed(ReadOnlyMemory<byte> bytes)
    {
        lock (_pending)
        {
            _pending.AddRange(bytes.Span);
            while (TryTakeMessage())
            {
            }
        }
    }

    private bool TryTakeMessage()
    {
        byte[] buffered = [.. _pending];
        if (!_started)
        {
            if (buffered.Length < 8)
            {
                return false;
            }

            int length = BinaryPrimitives.ReadInt32BigEndian(buffered);
            if (buffered.Length < length)
            {
                return false;
            }

            int code = BinaryPrimitives.ReadInt32BigEndian(buffered.AsSpan(4));
            _started = code is not (SslRequest or GssEncryptionRequest);
            _pending.RemoveRange(0, length);
            return true;
        }

        if (buffered.Length < 5)
        {
            return false;
        }

        int total = 1 + BinaryPrimitives.ReadInt32BigEndian(buffered.AsSpan(1));
        if (buffered.Length < total)
        {
            return false;
        }

        _types.Append((char)buffered[0]);
        _pending.RemoveRange(0, total);
        return true;
    }
}

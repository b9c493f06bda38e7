using System.Buffers;
using System.Text.Unicode;

namespace PlProxy.Client.Hashing;

/// <summary>
/// The UTF-8 bytes of a .NET string as a UTF-8 PostgreSQL database stores them, in a caller's stack
/// buffer when it fits and in a pooled array otherwise. Strings that no PostgreSQL <c>text</c> can
/// hold (a lone surrogate, a NUL character) are rejected rather than hashed as something else.
/// </summary>
internal ref struct Utf8Text
{
    /// <summary>Stack buffer size callers provide: every string of up to 341 UTF-16 units fits.</summary>
    public const int StackBufferSize = 1024;

    private const int ShortKeyLength = 16;

    private byte[]? _rented;

    private Utf8Text(ReadOnlySpan<byte> bytes, byte[]? rented)
    {
        Bytes = bytes;
        _rented = rented;
    }

    /// <summary>The encoded bytes.</summary>
    public ReadOnlySpan<byte> Bytes { get; }

    /// <summary>Encodes <paramref name="value"/> into <paramref name="scratch"/> or a pooled array.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="value"/> holds a lone surrogate or a NUL character.</exception>
    public static Utf8Text Encode(string value, Span<byte> scratch, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(value, parameterName);

        // Every UTF-16 code unit becomes at most three UTF-8 bytes (a surrogate pair: four bytes for two units).
        int maxBytes = checked(value.Length * 3);
        byte[]? rented = null;
        Span<byte> buffer = maxBytes <= scratch.Length ? scratch : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));

        // Short keys are mostly ASCII: narrowing them in a plain loop beats the transcoder's set-up cost.
        // NUL and non-ASCII characters leave the loop for the general path, which reports or encodes them.
        if (value.Length <= ShortKeyLength)
        {
            int i = 0;
            for (; i < value.Length; i++)
            {
                uint ch = value[i];
                if (ch - 1 >= 0x7f)
                {
                    break;
                }

                buffer[i] = (byte)ch;
            }

            if (i == value.Length)
            {
                return new Utf8Text(buffer[..i], rented);
            }
        }

        OperationStatus status = Utf8.FromUtf16(value, buffer, out int charsRead, out int bytesWritten, replaceInvalidSequences: false);
        if (status != OperationStatus.Done)
        {
            Return(rented);
            throw new ArgumentException(
                $"The string has a lone surrogate U+{(int)value[charsRead]:X4} at index {charsRead}; a PostgreSQL text value cannot hold it, so it has no hash.",
                parameterName);
        }

        Span<byte> bytes = buffer[..bytesWritten];
        int nul = bytes.IndexOf((byte)0);
        if (nul >= 0)
        {
            Return(rented);
            throw new ArgumentException(
                $"The string has a NUL character (U+0000) at index {value.IndexOf('\0', StringComparison.Ordinal)}; a PostgreSQL text value cannot hold it, so it has no hash.",
                parameterName);
        }

        return new Utf8Text(bytes, rented);
    }

    /// <summary>Returns the pooled array, if one was rented.</summary>
    public void Dispose()
    {
        Return(_rented);
        _rented = null;
    }

    private static void Return(byte[]? rented)
    {
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}

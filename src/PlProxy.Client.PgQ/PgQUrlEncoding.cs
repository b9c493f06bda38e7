using System.Text;

namespace PlProxy.Client.PgQ;

/// <summary>
/// The urlencoded rows of <c>pgq.logutriga</c> and SkyTools' <c>db_urlencode</c>/<c>db_urldecode</c>: <c>key=value</c>
/// pairs joined by <c>&amp;</c>, a NULL as the key alone, an empty string as <c>key=</c>; letters, digits and <c>_ . -</c>
/// as they are, a space as <c>+</c>, every other byte of the UTF-8 text as <c>%xx</c> (lowercase, as PgQ writes it).
/// </summary>
public static class PgQUrlEncoding
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Encodes a row, its columns in order.</summary>
    public static string Encode(IEnumerable<KeyValuePair<string, string?>> row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var text = new StringBuilder();
        foreach ((string key, string? value) in row)
        {
            if (text.Length > 0)
            {
                text.Append('&');
            }

            Append(text, key);
            if (value is not null)
            {
                text.Append('=');
                Append(text, value);
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// Decodes a row as SkyTools' <c>db_urldecode</c> does: <c>&amp;</c>s between pairs are skipped, a key ends at
    /// <c>=</c> or <c>&amp;</c> (no <c>=</c>: NULL), a value at the next <c>=</c> or <c>&amp;</c>; a key given twice keeps its
    /// last value, in its first place.
    /// </summary>
    /// <exception cref="FormatException">A <c>%</c> is not followed by two hex digits, or the bytes are not UTF-8.</exception>
    public static IReadOnlyList<KeyValuePair<string, string?>> Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var row = new List<KeyValuePair<string, string?>>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        int position = 0;
        while (position < text.Length)
        {
            if (text[position] == '&')
            {
                position++;
                continue;
            }

            string key = Element(text, ref position);
            string? value = null;
            if (position < text.Length && text[position] == '=')
            {
                position++;
                value = Element(text, ref position);
            }

            if (index.TryGetValue(key, out int at))
            {
                row[at] = new(key, value);
            }
            else
            {
                index[key] = row.Count;
                row.Add(new(key, value));
            }
        }

        return row;
    }

    private static void Append(StringBuilder text, string value)
    {
        const string Hex = "0123456789abcdef";
        foreach (byte b in Encoding.UTF8.GetBytes(value))
        {
            if (b == ' ')
            {
                text.Append('+');
            }
            else if (b is (>= (byte)'0' and <= (byte)'9') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (byte)'_' or (byte)'.' or (byte)'-')
            {
                text.Append((char)b);
            }
            else
            {
                text.Append('%').Append(Hex[b >> 4]).Append(Hex[b & 15]);
            }
        }
    }

    // One key or value, up to the next '=' or '&': '+' is a space, %xx a byte; the bytes must be UTF-8.
    private static string Element(string text, ref int position)
    {
        var bytes = new List<byte>();
        Span<byte> utf8 = stackalloc byte[4];
        for (; position < text.Length && text[position] is not ('&' or '='); position++)
        {
            char c = text[position];
            if (c == '%')
            {
                if (position + 2 >= text.Length)
                {
                    throw new FormatException($"Incomplete hex code at position {position} of a urlencoded row.");
                }

                if (!Uri.IsHexDigit(text[position + 1]) || !Uri.IsHexDigit(text[position + 2]))
                {
                    throw new FormatException($"Invalid hex code at position {position} of a urlencoded row.");
                }

                bytes.Add((byte)((Uri.FromHex(text[position + 1]) << 4) | Uri.FromHex(text[position + 2])));
                position += 2;
            }
            else if (c == '+')
            {
                bytes.Add((byte)' ');
            }
            else
            {
                int length = char.IsSurrogatePair(text, position) ? 2 : 1;
                int written = Encoding.UTF8.GetBytes(text.AsSpan(position, length), utf8);
                bytes.AddRange(utf8[..written].ToArray());
                position += length - 1;
            }
        }

        try
        {
            return Strict.GetString([.. bytes]);
        }
        catch (DecoderFallbackException e)
        {
            throw new FormatException("A urlencoded row decodes to bytes that are not UTF-8.", e);
        }
    }
}

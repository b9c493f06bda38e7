namespace PlProxy.Client.Connections;

/// <summary>
/// libpq's <c>key=value</c> connection strings (PL/Proxy's partitions are written this way), read exactly as libpq's
/// <c>conninfo_parse</c> reads them: pairs separated by white space, white space allowed around <c>=</c>, a value
/// either single-quoted (<c>\</c> escapes the next character, and a quote must be closed) or running to the next white
/// space (<c>\</c> escapes there too), so a value may hold <c>;</c>, <c>=</c> or quoted spaces.
/// </summary>
/// <remarks>Errors name positions and known keywords only: never a value, nor a word that might be part of one.</remarks>
internal static class LibpqConnectionString
{
    /// <summary>Every keyword libpq (PostgreSQL 15) accepts (matched without case, as PlProxy.Client always has; libpq itself is stricter).</summary>
    public static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "channel_binding", "connect_timeout",
        "client_encoding", "options", "application_name", "fallback_application_name", "keepalives", "keepalives_idle",
        "keepalives_interval", "keepalives_count", "tcp_user_timeout", "replication", "gssencmode", "sslmode",
        "requiressl", "sslcompression", "sslcert", "sslkey", "sslpassword", "sslrootcert", "sslcrl", "sslcrldir",
        "sslsni", "requirepeer", "ssl_min_protocol_version", "ssl_max_protocol_version", "krbsrvname", "gsslib",
        "service", "target_session_attrs",
    };

    /// <summary>One <c>key=value</c> pair, where its key starts, and whether a <c>;</c> stood just before it (Npgsql's separator, not libpq's).</summary>
    public readonly record struct Pair(string Key, string Value, int Start, bool AfterSemicolon);

    /// <summary>
    /// Whether <paramref name="connectionString"/> is written in libpq's form rather than Npgsql's <c>Key=Value;...</c>.
    /// Without a <c>;</c>, any string with an <c>=</c> is libpq's. With one, it is libpq's only when it reads as libpq
    /// pairs of libpq keywords, more than one, none of them separated by that <c>;</c> (so <c>user=u password=a;b</c>
    /// is libpq's, and <c>host=h;port=5</c> or <c>host=h; port=5</c> Npgsql's).
    /// </summary>
    public static bool IsLibpq(string connectionString)
    {
        if (PostgresUri.IsUri(connectionString))
        {
            return true; // a connection URI, which libpq reads too
        }

        if (!connectionString.Contains(';', StringComparison.Ordinal))
        {
            return connectionString.Contains('=', StringComparison.Ordinal);
        }

        return TryParse(connectionString, out List<Pair>? pairs, out _)
            && pairs.Count > 1
            && pairs.TrueForAll(p => Keywords.Contains(p.Key) && !p.AfterSemicolon);
    }

    /// <summary>The pairs, in order (a connection URI's as libpq sets them).</summary>
    /// <exception cref="ArgumentException">The string is not valid libpq; the message names the position, not the text.</exception>
    public static List<Pair> Parse(string connectionString) =>
        PostgresUri.IsUri(connectionString) ? PostgresUri.Parse(connectionString) : TryParse(connectionString, out List<Pair>? pairs, out string? error) ? pairs : throw new ArgumentException($"The libpq connection string is invalid: {error}.");

    private static bool TryParse(string s, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out List<Pair>? pairs, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        pairs = [];
        error = null;
        int i = 0;
        while (true)
        {
            while (i < s.Length && char.IsWhiteSpace(s[i]))
            {
                i++;
            }

            if (i >= s.Length)
            {
                return true;
            }

            bool afterSemicolon = i > 0 && LastNonSpaceBefore(s, i) == ';';
            int keyStart = i;
            while (i < s.Length && s[i] != '=' && !char.IsWhiteSpace(s[i]))
            {
                i++;
            }

            string key = s[keyStart..i];
            while (i < s.Length && char.IsWhiteSpace(s[i]))
            {
                i++;
            }

            if (i >= s.Length || s[i] != '=')
            {
                error = $"{Describe(key, keyStart)} is not followed by '='";
                pairs = null;
                return false;
            }

            i++;
            while (i < s.Length && char.IsWhiteSpace(s[i]))
            {
                i++;
            }

            var value = new System.Text.StringBuilder();
            if (i < s.Length && s[i] == '\'')
            {
                int quote = i++;
                while (true)
                {
                    if (i >= s.Length)
                    {
                        error = $"the quoted value of {Describe(key, keyStart)} (from character {quote + 1}) is not closed";
                        pairs = null;
                        return false;
                    }

                    char c = s[i++];
                    if (c == '\'')
                    {
                        break;
                    }

                    if (c == '\\' && i < s.Length)
                    {
                        c = s[i++];
                    }

                    value.Append(c);
                }
            }
            else
            {
                while (i < s.Length && !char.IsWhiteSpace(s[i]))
                {
                    char c = s[i++];
                    if (c == '\\' && i < s.Length)
                    {
                        c = s[i++];
                    }

                    value.Append(c);
                }
            }

            pairs.Add(new Pair(key, value.ToString(), keyStart, afterSemicolon));
        }
    }

    private static char LastNonSpaceBefore(string s, int index)
    {
        for (int j = index - 1; j >= 0; j--)
        {
            if (!char.IsWhiteSpace(s[j]))
            {
                return s[j];
            }
        }

        return '\0';
    }

    /// <summary>A keyword by name when libpq knows it, else by position only (an unknown word may be part of a password).</summary>
    public static string Describe(string key, int start) =>
        Keywords.Contains(key) ? $"the keyword '{key}'" : $"the word at character {start + 1}";
}

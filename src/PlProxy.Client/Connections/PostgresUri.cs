using System.Text;

namespace PlProxy.Client.Connections;

/// <summary>
/// libpq's connection URIs, <c>postgresql://[user[:password]@][host][:port][,host[:port]...][/dbname][?key=value&amp;...]</c>
/// (or <c>postgres://</c>), read as libpq's <c>conninfo_uri_parse</c> reads them: percent-decoded parts, IPv6 hosts in
/// brackets, several hosts each with its own port, query parameters that are libpq keywords (and <c>ssl=true</c> for
/// <c>sslmode=require</c>). The result is the <c>key=value</c> pairs libpq would set.
/// </summary>
/// <remarks>Errors name the part and position, never a value (the user information holds the password).</remarks>
internal static class PostgresUri
{
    private static readonly string[] Prefixes = ["postgresql://", "postgres://"];

    /// <summary>Whether <paramref name="connectionString"/> is a connection URI (its scheme matched exactly, as libpq does).</summary>
    public static bool IsUri(string connectionString) =>
        Array.Exists(Prefixes, p => connectionString.StartsWith(p, StringComparison.Ordinal));

    /// <summary>The pairs the URI sets, in libpq's keywords.</summary>
    /// <exception cref="ArgumentException">The URI cannot be read; the message names the part, not its text.</exception>
    public static List<LibpqConnectionString.Pair> Parse(string uri)
    {
        string prefix = Array.Find(Prefixes, p => uri.StartsWith(p, StringComparison.Ordinal)) ?? throw new ArgumentException("The connection URI does not start with postgresql:// or postgres://.");
        var pairs = new List<LibpqConnectionString.Pair>();
        void Add(string key, string value, int at) => pairs.Add(new LibpqConnectionString.Pair(key, value, at, AfterSemicolon: false));

        int i = prefix.Length;
        int authorityEnd = i;
        while (authorityEnd < uri.Length && uri[authorityEnd] != '@' && uri[authorityEnd] != '/')
        {
            authorityEnd++;
        }

        if (authorityEnd < uri.Length && uri[authorityEnd] == '@')
        {
            int colon = uri.IndexOf(':', i, authorityEnd - i);
            string user = uri[i..(colon < 0 ? authorityEnd : colon)];
            if (user.Length > 0)
            {
                Add("user", Decode(user, "user name", i), i);
            }

            if (colon >= 0)
            {
                Add("password", Decode(uri[(colon + 1)..authorityEnd], "password", colon + 1), colon + 1);
            }

            i = authorityEnd + 1;
        }

        var hosts = new List<string>();
        var ports = new List<string>();
        int hostsStart = i;
        while (true)
        {
            string host;
            if (i < uri.Length && uri[i] == '[')
            {
                int close = uri.IndexOf(']', i);
                if (close < 0)
                {
                    throw new ArgumentException($"The connection URI has an IPv6 host (from character {i + 1}) without its closing ']'.");
                }

                host = uri[(i + 1)..close];
                if (host.Length == 0)
                {
                    throw new ArgumentException($"The connection URI has an empty IPv6 host at character {i + 1}.");
                }

                i = close + 1;
            }
            else
            {
                int start = i;
                while (i < uri.Length && uri[i] is not (':' or '/' or '?' or ','))
                {
                    i++;
                }

                host = Decode(uri[start..i], "host", start);
            }

            string port = "";
            if (i < uri.Length && uri[i] == ':')
            {
                int start = ++i;
                while (i < uri.Length && uri[i] is not ('/' or '?' or ','))
                {
                    i++;
                }

                port = Decode(uri[start..i], "port", start);
            }

            hosts.Add(host);
            ports.Add(port);
            if (i < uri.Length && uri[i] == ',')
            {
                i++;
                continue;
            }

            break;
        }

        if (hosts.Exists(h => h.Length > 0))
        {
            Add("host", string.Join(',', hosts), hostsStart);
        }

        if (ports.Exists(p => p.Length > 0))
        {
            // libpq takes an empty port of a list as the default one.
            Add("port", string.Join(',', ports.Select(p => p.Length > 0 ? p : "5432")), hostsStart);
        }

        if (i < uri.Length && uri[i] == '/')
        {
            int start = ++i;
            while (i < uri.Length && uri[i] != '?')
            {
                i++;
            }

            if (i > start)
            {
                Add("dbname", Decode(uri[start..i], "database name", start), start);
            }
        }

        if (i < uri.Length && uri[i] == '?')
        {
            int start = i + 1;
            foreach (string parameter in uri[start..].Split('&'))
            {
                int equals = parameter.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0 || parameter.IndexOf('=', equals + 1) >= 0)
                {
                    throw new ArgumentException($"The connection URI has a query parameter at character {start + 1} that is not key=value.");
                }

                string key = Decode(parameter[..equals], "query parameter name", start);
                string value = Decode(parameter[(equals + 1)..], "query parameter value", start + equals + 1);
                if (key == "ssl" && value == "true")
                {
                    (key, value) = ("sslmode", "require");
                }

                if (!LibpqConnectionString.Keywords.Contains(key))
                {
                    throw new ArgumentException($"The connection URI has a query parameter libpq does not know (at character {start + 1}).");
                }

                Add(key, value, start);
                start += parameter.Length + 1;
            }
        }
        else if (i < uri.Length)
        {
            throw new ArgumentException($"The connection URI has an unexpected character at {i + 1}.");
        }

        return pairs;
    }

    // Percent-decoding as libpq's conninfo_uri_decode: %XX with two hex digits, no %00; '+' stays '+'.
    private static string Decode(string part, string what, int at)
    {
        if (!part.Contains('%', StringComparison.Ordinal))
        {
            return part;
        }

        var bytes = new List<byte>(part.Length);
        for (int i = 0; i < part.Length; i++)
        {
            if (part[i] != '%')
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(part[i].ToString()));
                continue;
            }

            if (i + 2 >= part.Length || !Uri.IsHexDigit(part[i + 1]) || !Uri.IsHexDigit(part[i + 2]))
            {
                throw new ArgumentException($"The connection URI's {what} (from character {at + 1}) has an invalid percent-encoded token.");
            }

            byte b = Convert.ToByte(part.Substring(i + 1, 2), 16);
            if (b == 0)
            {
                throw new ArgumentException($"The connection URI's {what} (from character {at + 1}) holds a forbidden %00.");
            }

            bytes.Add(b);
            i += 2;
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}

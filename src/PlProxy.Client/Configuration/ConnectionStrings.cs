using System.Text;
using Npgsql;

namespace PlProxy.Client.Configuration;

/// <summary>
/// Turns a partition's connection string (Npgsql's form, or libpq's <c>key=value</c> form that PL/Proxy's
/// configuration uses) and its cluster's options into the Npgsql connection string its pool is opened with.
/// </summary>
internal static class ConnectionStrings
{
    private static readonly Dictionary<string, string> LibpqKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        ["host"] = "Host",
        ["hostaddr"] = "Host",
        ["port"] = "Port",
        ["dbname"] = "Database",
        ["user"] = "Username",
        ["password"] = "Password",
        ["connect_timeout"] = "Timeout",
        ["application_name"] = "Application Name",
        ["sslmode"] = "SSL Mode",
        ["options"] = "Options",
        ["keepalives_idle"] = "Keepalive",
        ["target_session_attrs"] = "Target Session Attributes",
    };

    /// <summary>The Npgsql connection string for a partition of a cluster with <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">The connection string cannot be read; the message names the key, never the password.</exception>
    public static string ForPartition(string partition, PlProxyClusterOptions options)
    {
        var builder = new NpgsqlConnectionStringBuilder(ToNpgsql(partition));
        if (options.ConnectTimeout is { } connectTimeout)
        {
            builder.Timeout = Math.Max(1, (int)connectTimeout.TotalSeconds);
        }

        if (options.ConnectionLifetime is { } lifetime)
        {
            builder.ConnectionLifetime = Math.Max(1, (int)lifetime.TotalSeconds);
        }

        if (options.KeepAlive is { } keepAlive)
        {
            builder.KeepAlive = Math.Max(1, (int)keepAlive.TotalSeconds);
        }

        if (options.MaxPoolSize is { } max)
        {
            builder.MaxPoolSize = max;
        }

        if (options.MinPoolSize is { } min)
        {
            builder.MinPoolSize = min;
        }

        if (string.IsNullOrEmpty(builder.Username) && options.DefaultUser is { } user)
        {
            builder.Username = user;
        }

        if (options.Pooler is PlProxyPooler.PgBouncerTransaction or PlProxyPooler.PgBouncerStatement)
        {
            // pgBouncer hands the server connection to another client after each transaction (or statement):
            // no session reset on close, and no prepared statements that would outlive the statement.
            builder.NoResetOnClose = true;
            builder.MaxAutoPrepare = 0;
        }
        else
        {
            HashSet<string> given = GivenKeywords(builder);
            if (!given.Contains("MaxAutoPrepare"))
            {
                // Direct connections keep each method's statement prepared once it has been used a few times (Npgsql's
                // automatic preparation): the partition parses and plans it once per connection, not once per call.
                // The statement text is fixed per method, so a handful of slots per connection covers an interface.
                builder.MaxAutoPrepare = DefaultMaxAutoPrepare;
            }

            if (!given.Contains("NoResetOnClose"))
            {
                // Every call is one autocommit statement that leaves no session state behind, and PL/Proxy itself
                // reuses its partition connections without resetting them: no reset statements per call.
                builder.NoResetOnClose = true;
            }
        }

        return builder.ConnectionString;
    }

    /// <summary>How many statements each direct connection keeps prepared unless its connection string says otherwise.</summary>
    public const int DefaultMaxAutoPrepare = 32;

    // The keywords the connection string itself gives, without spaces and compared without case (so every spelling matches).
    private static HashSet<string> GivenKeywords(NpgsqlConnectionStringBuilder builder)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = builder.ConnectionString };
        var keywords = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string key in given.Keys)
        {
            keywords.Add(key.Replace(" ", "", StringComparison.Ordinal));
        }

        return keywords;
    }

    /// <summary>The connection string in Npgsql's form, converted from libpq's when it is written that way.</summary>
    /// <exception cref="ArgumentException">A libpq key has no Npgsql equivalent.</exception>
    public static string ToNpgsql(string connectionString) =>
        IsLibpq(connectionString) ? FromLibpq(connectionString) : connectionString;

    /// <summary>libpq's form: space-separated <c>key=value</c> pairs; Npgsql's separates them with semicolons.</summary>
    private static bool IsLibpq(string connectionString) =>
        !connectionString.Contains(';', StringComparison.Ordinal) && connectionString.Contains('=', StringComparison.Ordinal);

    /// <summary>Converts libpq's <c>host=h port=5432 dbname=d user=u</c> (values may be single-quoted) to Npgsql's form.</summary>
    /// <exception cref="ArgumentException">A key has no Npgsql equivalent.</exception>
    public static string FromLibpq(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder();
        int i = 0;
        while (i < connectionString.Length)
        {
            while (i < connectionString.Length && char.IsWhiteSpace(connectionString[i]))
            {
                i++;
            }

            if (i >= connectionString.Length)
            {
                break;
            }

            int equals = connectionString.IndexOf('=', i);
            if (equals < 0)
            {
                throw new ArgumentException($"The libpq connection string has a key without a value at position {i}.");
            }

            string key = connectionString[i..equals].Trim();
            i = equals + 1;
            while (i < connectionString.Length && char.IsWhiteSpace(connectionString[i]))
            {
                i++;
            }

            var value = new StringBuilder();
            if (i < connectionString.Length && connectionString[i] == '\'')
            {
                i++;
                while (i < connectionString.Length && connectionString[i] != '\'')
                {
                    if (connectionString[i] == '\\' && i + 1 < connectionString.Length)
                    {
                        i++;
                    }

                    value.Append(connectionString[i++]);
                }

                i++;
            }
            else
            {
                while (i < connectionString.Length && !char.IsWhiteSpace(connectionString[i]))
                {
                    value.Append(connectionString[i++]);
                }
            }

            if (!LibpqKeys.TryGetValue(key, out string? npgsqlKey))
            {
                throw new ArgumentException($"The libpq connection string key '{key}' has no Npgsql equivalent.");
            }

            builder[npgsqlKey] = value.ToString();
        }

        return builder.ConnectionString;
    }
}

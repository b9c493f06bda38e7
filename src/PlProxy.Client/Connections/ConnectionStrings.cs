using Npgsql;

namespace PlProxy.Client.Connections;

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
        ["keepalives"] = "Tcp Keepalive",
        ["keepalives_idle"] = "Tcp Keepalive Time",
        ["keepalives_interval"] = "Tcp Keepalive Interval",
        ["target_session_attrs"] = "Target Session Attributes",
        ["passfile"] = "Passfile",
        ["client_encoding"] = "Client Encoding",
        ["sslcert"] = "SSL Certificate",
        ["sslkey"] = "SSL Key",
        ["sslpassword"] = "SSL Password",
        ["sslrootcert"] = "Root Certificate",
        ["krbsrvname"] = "Kerberos Service Name",
        ["channel_binding"] = "Channel Binding",
        ["gssencmode"] = "Gss Encryption Mode",
    };

    // libpq settings Npgsql has no place for, read and left to the OS (as libpq leaves them when they are not given):
    // the keepalive probes' count and the TCP user timeout; and sslcompression, which libpq itself ignores since
    // PostgreSQL 14 removed SSL compression (older proxy databases' strings still say sslcompression=0).
    private static readonly HashSet<string> IgnoredLibpqKeys = new(StringComparer.OrdinalIgnoreCase) { "keepalives_count", "tcp_user_timeout", "sslcompression" };

    /// <summary>The Npgsql connection string for a partition of a cluster with <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">The connection string cannot be read; the message names the key, never the password.</exception>
    public static string ForPartition(string partition, PartitionConnectionSettings options)
    {
        var builder = new NpgsqlConnectionStringBuilder(ToNpgsql(partition));
        HashSet<string> given = GivenKeywords(builder); // what the connection string itself says, read once
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
            // A pool size the string gives itself is a limit too: the lower one holds (and is the partition's cap).
            builder.MaxPoolSize = given.Contains("MaximumPoolSize") ? Math.Min(builder.MaxPoolSize, max) : max;
        }

        if (options.MinPoolSize is { } min)
        {
            builder.MinPoolSize = min;
        }
        else if (builder.MinPoolSize > builder.MaxPoolSize)
        {
            // The string's own minimum (a cluster's MinPoolSize is checked against its pool by the options' validation).
            throw new ArgumentException($"Minimum Pool Size {builder.MinPoolSize} keeps more connections open than the partition's pool may hold ({builder.MaxPoolSize}: its Maximum Pool Size, MaxPoolSize or MaxConnectionsPerPartition, whichever is lowest).");
        }

        if (!given.Contains("Enlist"))
        {
            // A call commits on its partition by itself, as PL/Proxy's do, whatever transaction its caller has open: its
            // connection joins no ambient TransactionScope (Npgsql's default), which a call sharing a round trip could not
            // join anyway, and which would hold the connection, outside the cap's count, until the scope ended.
            builder.Enlist = false;
        }
        else if (builder.Enlist)
        {
            throw new ArgumentException("Enlist=true is not supported: a call commits on its partition by itself, as with PL/Proxy, and a call sharing a round trip could not join its caller's TransactionScope; take Enlist out of the connection string (a connection opened from PlProxyPartition.DataSource can still join one: connection.EnlistTransaction(Transaction.Current)).");
        }

        if (string.IsNullOrEmpty(builder.Username) && options.DefaultUser is { } user)
        {
            builder.Username = user;
        }

        if (PartitionHosts.IsReplicated(builder))
        {
            if (!given.Contains("TargetSessionAttributes"))
            {
                // A primary and its standbys: calls go to the primary, wherever it is now.
                builder.TargetSessionAttributes = "primary";
            }

            if (!given.Contains("HostRecheckSeconds"))
            {
                // Npgsql remembers which host is the primary for this long; a promotion is seen sooner by the standby
                // monitor, which clears what Npgsql remembers.
                builder.HostRecheckSeconds = 1;
            }
        }

        if (!given.Contains("TcpKeepAlive") && !given.Contains("TcpKeepAliveTime") && !given.Contains("TcpKeepAliveInterval"))
        {
            // libpq, and so PL/Proxy, turns TCP keepalives on unless told otherwise (with the OS's timing): a call
            // waiting for a server whose host vanished without a word ends when they find it gone, not never.
            builder.TcpKeepAlive = true;
        }

        if (!given.Contains("CommandTimeout"))
        {
            // PL/Proxy limits a call only by query_timeout (QueryTimeout), which cancels it and says so (57014);
            // Npgsql's own 30-s command timeout would fail every longer call as a broken read.
            builder.CommandTimeout = 0;
        }

        if (options.BehindTransactionPooler)
        {
            // pgBouncer hands the server connection to another client after each transaction (or statement):
            // no session reset on close, and no prepared statements that would outlive the statement.
            builder.NoResetOnClose = true;
            builder.MaxAutoPrepare = 0;
        }
        else
        {
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

    /// <summary>
    /// An Npgsql connection string with its settings in one order and those at their defaults left out: two strings
    /// that say the same (<c>Host=a;Database=p0</c>, <c>Database=p0;Host=a;Port=5432</c>, libpq's or a URI's form of
    /// them) have one canonical form, so the clusters that name one partition database with one set of settings share
    /// its pool and its connection cap.
    /// </summary>
    public static string Canonical(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var defaults = new NpgsqlConnectionStringBuilder();
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = builder.ConnectionString };
        var canonical = new System.Text.StringBuilder();
        foreach (string key in given.Keys.Cast<string>().Order(StringComparer.OrdinalIgnoreCase))
        {
            if (!Equals(builder[key], defaults[key]))
            {
                System.Data.Common.DbConnectionStringBuilder.AppendKeyValuePair(canonical, key, Convert.ToString(builder[key], System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return canonical.ToString();
    }

    /// <summary>
    /// The Npgsql connection string of a proxy database: its reads of cluster definitions join no ambient
    /// TransactionScope a first call may have open, unless the string says <c>Enlist</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The string cannot be read (see <see cref="ToNpgsql"/>).</exception>
    public static string ForProxyDatabase(string proxyDatabase)
    {
        var builder = new NpgsqlConnectionStringBuilder(ToNpgsql(proxyDatabase));
        if (!GivenKeywords(builder).Contains("Enlist"))
        {
            builder.Enlist = false;
        }

        return builder.ConnectionString;
    }

    /// <summary>The most connections the pool of <paramref name="connectionString"/> (Npgsql's form, as <see cref="ForPartition"/> gives it) holds.</summary>
    public static int PoolSize(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString).MaxPoolSize;

    // The keywords the connection string itself gives, without spaces and compared without case (so every spelling matches).
    internal static HashSet<string> GivenKeywords(NpgsqlConnectionStringBuilder builder)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = builder.ConnectionString };
        var keywords = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string key in given.Keys)
        {
            keywords.Add(key.Replace(" ", "", StringComparison.Ordinal));
        }

        return keywords;
    }

    /// <summary>
    /// The connection string in Npgsql's form: converted from libpq's when it is written that way, checked keyword by
    /// keyword when it is Npgsql's, and naming a host.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The string cannot be read. The message names known keywords and positions only: never a value, nor an unknown
    /// word (which might be a piece of a password).
    /// </exception>
    public static string ToNpgsql(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder = LibpqConnectionString.IsLibpq(connectionString) ? FromLibpq(connectionString) : FromNpgsql(connectionString);
        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new ArgumentException("The connection string names no host.");
        }

        if (builder.Multiplexing)
        {
            // Npgsql's multiplexing binds no connection to a command, which a call's cancellation, the idle-connection
            // check and the map's LISTEN need; the client shares round trips itself, and Npgsql 11 removes it.
            throw new ArgumentException("Multiplexing is not supported: PlProxy.Client shares round trips among concurrent calls itself (see Running a fleet), and Npgsql 11 removes multiplexing; take Multiplexing out of the connection string.");
        }

        return builder.ConnectionString;
    }

    /// <summary>
    /// A connection string as a message may show it: host, port, database and user, in the form it was written, and
    /// <c>password=***</c> where it has one — never a password. A string that cannot be read is not shown at all.
    /// </summary>
    public static string Shown(string connectionString)
    {
        if (Readable(connectionString) is not { } builder)
        {
            return "(a connection string that cannot be read)";
        }

        bool secret = !string.IsNullOrEmpty(builder.Password) || !string.IsNullOrEmpty(builder.SslPassword);
        return LibpqConnectionString.IsLibpq(connectionString)
            ? $"host={builder.Host} port={builder.Port} dbname={builder.Database} user={builder.Username}{(secret ? " password=***" : "")}"
            : $"Host={builder.Host};Port={builder.Port};Database={builder.Database};Username={builder.Username}{(secret ? ";Password=***" : "")}";
    }

    /// <summary>The passwords a connection string holds (password, SSL password), as its reader takes them; none when it cannot be read.</summary>
    public static IEnumerable<string> Secrets(string connectionString) =>
        Readable(connectionString) is { } builder
            ? new[] { builder.Password, builder.SslPassword }.OfType<string>().Where(secret => secret.Length > 0)
            : [];

    // The connection string read as ToNpgsql reads it, or null when it cannot be read.
    private static NpgsqlConnectionStringBuilder? Readable(string connectionString)
    {
        try
        {
            return new NpgsqlConnectionStringBuilder(ToNpgsql(connectionString));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static NpgsqlConnectionStringBuilder FromLibpq(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder();
        string? hosts = null;
        string? ports = null;
        bool keepalivesOff = false;
        string? fallbackApplicationName = null;
        foreach (LibpqConnectionString.Pair pair in LibpqConnectionString.Parse(connectionString))
        {
            if (!LibpqConnectionString.Keywords.Contains(pair.Key))
            {
                throw new ArgumentException($"The libpq connection string has a keyword libpq does not know ({LibpqConnectionString.Describe(pair.Key, pair.Start)}).");
            }

            if (IgnoredLibpqKeys.Contains(pair.Key))
            {
                continue;
            }

            if (pair.Key.Equals("fallback_application_name", StringComparison.OrdinalIgnoreCase))
            {
                fallbackApplicationName = pair.Value; // libpq's application name when the string gives none
                continue;
            }

            if (!LibpqKeys.TryGetValue(pair.Key, out string? npgsqlKey))
            {
                throw new ArgumentException($"The libpq keyword '{pair.Key}' has no Npgsql equivalent.");
            }

            // libpq lists hosts and ports apart (host=a,b port=5432,5433); Npgsql writes each host with its port.
            if (npgsqlKey == "Host")
            {
                hosts = pair.Value;
            }
            else if (npgsqlKey == "Port")
            {
                ports = pair.Value;
            }
            else if (npgsqlKey == "Tcp Keepalive")
            {
                // libpq's keepalives is a number, 0 turning them off; Npgsql's a boolean.
                keepalivesOff = int.TryParse(pair.Value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out int on) && on == 0;
                builder.TcpKeepAlive = !keepalivesOff;
            }
            else if (npgsqlKey == "SSL Mode")
            {
                // libpq writes two of its modes with a hyphen, which Npgsql's names lack.
                Set(builder, npgsqlKey, pair.Value switch { "verify-ca" => nameof(SslMode.VerifyCA), "verify-full" => nameof(SslMode.VerifyFull), var mode => mode }, $"libpq keyword '{pair.Key}'");
            }
            else
            {
                Set(builder, npgsqlKey, pair.Value, $"libpq keyword '{pair.Key}'");
            }
        }

        if (string.IsNullOrEmpty(builder.ApplicationName) && !string.IsNullOrEmpty(fallbackApplicationName))
        {
            builder.ApplicationName = fallbackApplicationName;
        }

        if (keepalivesOff)
        {
            // keepalives=0: libpq sends none, whatever else the string says.
            builder.TcpKeepAliveTime = 0;
            builder.TcpKeepAliveInterval = 0;
        }
        else
        {
            if (builder.TcpKeepAliveInterval > 0 && builder.TcpKeepAliveTime == 0)
            {
                // An interval alone: libpq leaves the idle time to the OS (Linux: two hours); Npgsql needs one to take the interval.
                builder.TcpKeepAliveTime = 7200;
            }

            if (builder.TcpKeepAliveTime > 0)
            {
                builder.TcpKeepAlive = true; // timings given: keepalives on, as libpq has them
            }
        }

        if (hosts is not null)
        {
            Set(builder, "Host", hosts, "libpq keyword 'host'");
        }

        if (ports is not null)
        {
            string[] portList = ports.Split(',');
            string[] hostList = hosts?.Split(',') ?? [];
            if (portList.Length == 1)
            {
                Set(builder, "Port", portList[0], "libpq keyword 'port'");
            }
            else if (portList.Length != hostList.Length)
            {
                throw new ArgumentException($"The libpq connection string gives {portList.Length} ports for {hostList.Length} hosts (libpq wants one port, or one per host).");
            }
            else
            {
                foreach (string port in portList)
                {
                    if (!ushort.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ushort number) || number == 0)
                    {
                        throw new ArgumentException("The value of libpq keyword 'port' is invalid.");
                    }
                }

                Set(builder, "Host", string.Join(',', hostList.Zip(portList, (host, port) => host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}")), "libpq keyword 'host'");
            }
        }

        return builder;
    }

    // Npgsql's own parser names what it rejects, value or unknown keyword alike; each pair is given to it on its own.
    private static NpgsqlConnectionStringBuilder FromNpgsql(string connectionString)
    {
        var pairs = new System.Data.Common.DbConnectionStringBuilder();
        try
        {
            pairs.ConnectionString = connectionString;
        }
        catch (ArgumentException)
        {
            throw new ArgumentException("The connection string is malformed: Npgsql's form is Key=Value pairs separated by ';', a value with ';' in quotes.");
        }

        var builder = new NpgsqlConnectionStringBuilder();
        int index = 0;
        foreach (string key in pairs.Keys)
        {
            index++;
            if (!builder.ContainsKey(key))
            {
                throw new ArgumentException($"The connection string's pair {index} has a keyword Npgsql does not know.");
            }

            Set(builder, key, (string)pairs[key], $"'{key}'");
        }

        try
        {
            // The generic reader above drops keys with empty values ("Foo="); Npgsql's own reading does not.
            _ = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException or KeyNotFoundException)
        {
            throw new ArgumentException("The connection string has a keyword Npgsql does not know, given an empty value.");
        }

        return builder;
    }

    private static void Set(NpgsqlConnectionStringBuilder builder, string key, string value, string what)
    {
        try
        {
            builder[key] = value;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException or KeyNotFoundException)
        {
            throw new ArgumentException($"The value of {what} is invalid.");
        }
    }
}

using System.Globalization;
using PlProxy.Client.Connections;
using PlProxy.Client.Resilience;

namespace PlProxy.Client.Configuration;

/// <summary>One cluster: its partitions in order and how calls are routed among them and run.</summary>
public sealed class PlProxyClusterOptions
{
    /// <summary>The connection strings of the partitions, partition 0 first (Npgsql's <c>Key=Value;</c> form or libpq's <c>key=value</c> form). Byte-identical strings are one database.</summary>
    public IList<string> Partitions { get; } = new List<string>();

    /// <summary>PL/Proxy's <c>modular_mapping</c>: partition = <c>abs(hash % count)</c>, any count. Default: false (<c>hash &amp; (count - 1)</c>, a power of two).</summary>
    public bool ModularMapping { get; set; }

    /// <summary>The <c>hashtext</c> the cluster was partitioned with. Default: <see cref="PlProxyHashFlavor.Modern"/>.</summary>
    public PlProxyHashFlavor HashFlavor { get; set; }

    /// <summary>
    /// How <c>lower()</c>/<c>upper()</c> in hash expressions change case, as the proxy database's locale did. Default:
    /// <see cref="PlProxyCaseMapping.AsciiOnly"/>. For clusters read from a proxy database, the database decides.
    /// </summary>
    public PlProxyCaseMapping CaseMapping { get; set; }

    /// <summary>
    /// The server encoding of the proxy database whose routes the cluster keeps: PL/Proxy's <c>hashtext</c> hashed text
    /// in it. Under <c>UTF8</c> and <c>SQL_ASCII</c> text hashes as the client hashes it; under any other encoding only
    /// ASCII text does, and a call whose route hashes text with a non-ASCII character fails (SQLSTATE 0A000) before
    /// anything is sent. For clusters read from a proxy database, its <c>server_encoding</c>. Default: <c>UTF8</c>.
    /// </summary>
    public string ProxyDatabaseEncoding { get; set; } = Hashing.ServerEncodings.Utf8;

    /// <summary>PL/Proxy's <c>query_timeout</c>: a call still running after it is cancelled on every partition and fails with SQLSTATE 57014. Default: none.</summary>
    public TimeSpan? QueryTimeout { get; set; }

    /// <summary>PL/Proxy's <c>connection_lifetime</c>: pooled connections older than this are closed (Npgsql's Connection Lifetime). Default: kept.</summary>
    public TimeSpan? ConnectionLifetime { get; set; }

    /// <summary>How long opening a connection may take (Npgsql's Timeout). Default: Npgsql's (15 s).</summary>
    public TimeSpan? ConnectTimeout { get; set; }

    /// <summary>The TCP keepalive interval (Npgsql's Keepalive). Default: off.</summary>
    public TimeSpan? KeepAlive { get; set; }

    /// <summary>PL/Proxy's <c>default_user</c>: the user for partitions whose connection string names none. Default: Npgsql's (the OS user).</summary>
    public string? DefaultUser { get; set; }

    /// <summary>The largest connection pool per partition database. Default: Npgsql's (100), or <see cref="MaxConnectionsPerPartition"/> when that is lower.</summary>
    public int? MaxPoolSize { get; set; }

    /// <summary>
    /// The most server connections one <see cref="PlProxyDataSource"/> opens to one partition database (clusters whose
    /// partitions name one database with the same settings share them, however their connection strings are written). A call that finds them all busy waits its turn (at most
    /// <see cref="PlProxyOptions.ConnectionBudgetTimeout"/>, then SQLSTATE 53300) and, with <see cref="CoalesceCalls"/>,
    /// goes to the server in one round trip with the calls that waited beside it. Size a fleet so that instances ×
    /// partition databases per server × this cap ≤ the server's <c>max_connections</c> − its reserve. Null: no cap
    /// (Npgsql's pool of 100 per database). Default: 4.
    /// </summary>
    public int? MaxConnectionsPerPartition { get; set; } = DefaultMaxConnectionsPerPartition;

    /// <summary>
    /// Whether calls that waited for a partition's connections go together in one round trip (an <c>NpgsqlBatch</c>,
    /// each call its own statement). Streams and methods marked <see cref="NotCoalescedAttribute"/> always wait for a
    /// connection of their own. Default: true.
    /// </summary>
    public bool CoalesceCalls { get; set; } = true;

    /// <summary>
    /// The most calls one round trip carries when calls are coalesced; when half of it (at least 2) wait, quick calls
    /// start a second round trip beside the one in flight rather than wait for it. Default: 32.
    /// </summary>
    public int MaxCallsPerRoundTrip { get; set; } = DefaultMaxCallsPerRoundTrip;

    /// <summary>
    /// Head of line: the calls of a shared round trip are answered when its last statement is done, so one long call
    /// holds up the rest. A method whose statements have taken at least this long in shared round trips (a moving
    /// average, measured per statement) stops sharing them: its calls wait for a connection of their own, and other
    /// connections serve the queue meanwhile. Null: every call may share. Default: 50 ms.
    /// </summary>
    public TimeSpan? LongCallThreshold { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// For partitions with standbys (several hosts in one connection string): the most stale a standby may be for a
    /// call marked <see cref="ReadFromStandbyAttribute"/> to read from it — it holds every transaction the primary
    /// had committed this long before the call. No standby that fresh: the call goes to the primary. Default: 1 s.
    /// </summary>
    public TimeSpan MaxStandbyLag { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often each host of a partition with standbys is checked (its role, the primary's WAL position, each
    /// standby's replay position): one short query per host per check, and a check at once when a call meets what may
    /// be a failover. Must be shorter than <see cref="MaxStandbyLag"/>. Default: 250 ms.
    /// </summary>
    public TimeSpan StandbyCheckInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Read-your-writes: a call marked <see cref="ReadFromStandbyAttribute"/> that starts after another call to the same
    /// partition returned on this <see cref="PlProxyDataSource"/> sees what that call wrote — a standby is used only once
    /// it has replayed past it, else the read goes to the primary. Scope: this data source. Default: false.
    /// </summary>
    public bool ReadYourWrites { get; set; }

    internal const int DefaultMaxConnectionsPerPartition = 4;

    internal const int DefaultMaxCallsPerRoundTrip = 32;

    /// <summary>The connections kept open per partition database. Default: 0.</summary>
    public int? MinPoolSize { get; set; }

    /// <summary>The pooler in front of the partitions. Default: <see cref="PlProxyPooler.None"/>.</summary>
    public PlProxyPooler Pooler { get; set; }

    /// <summary>Automatic retries: of calls that provably never reached the server, and of <see cref="IdempotentAttribute"/> methods.</summary>
    public PlProxyRetryOptions Retry { get; } = new();

    /// <summary>The circuit breaker each partition database has.</summary>
    public PlProxyCircuitBreakerOptions CircuitBreaker { get; } = new();

    /// <summary>
    /// Applies one of PL/Proxy's cluster settings (as <c>plproxy.get_cluster_config</c> or a SQL/MED server gives them):
    /// <c>connection_lifetime</c>, <c>query_timeout</c>, <c>connect_timeout</c> (seconds), <c>modular_mapping</c>,
    /// <c>default_user</c>, <c>disable_binary</c> (accepted; Npgsql always moves values in binary), and the ignored
    /// <c>statement_timeout</c> and <c>keepalive_*</c>.
    /// </summary>
    /// <param name="key">The setting's name.</param>
    /// <param name="value">Its value.</param>
    /// <exception cref="ArgumentException">The key is unknown ("Unknown config param") or the value is not valid for it.</exception>
    internal void ApplyPlProxySetting(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        switch (AsciiLower(key)) // PL/Proxy compares keys without ASCII case (pg_strcasecmp)
        {
            case "connection_lifetime":
                ConnectionLifetime = Seconds(key, value);
                break;
            case "query_timeout":
                QueryTimeout = Seconds(key, value);
                break;
            case "connect_timeout":
                ConnectTimeout = Seconds(key, value);
                break;
            case "modular_mapping":
                ModularMapping = Integer(key, value) != 0;
                break;
            case "disable_binary":
                Integer(key, value);
                break;
            case "default_user":
                DefaultUser = value is "current_user" or "session_user" ? null : value;
                break;
            case "statement_timeout":
            case "keepalive_idle":
            case "keepalive_interval":
            case "keepalive_count":
                break; // accepted and ignored, as PL/Proxy does
            default:
                throw new ArgumentException($"Unknown config param: {key}", nameof(key));
        }
    }

    private static string AsciiLower(string key) =>
        string.Create(key.Length, key, static (lower, key) =>
        {
            for (int i = 0; i < key.Length; i++)
            {
                lower[i] = key[i] is >= 'A' and <= 'Z' ? (char)(key[i] + ('a' - 'A')) : key[i];
            }
        });

    private static TimeSpan? Seconds(string key, string value)
    {
        int seconds = Integer(key, value);
        return seconds <= 0 ? null : TimeSpan.FromSeconds(seconds);
    }

    /// <summary>A new cluster's options with these options' client-side settings: what a proxy database does not say.</summary>
    internal PlProxyClusterOptions ClientSideCopy()
    {
        var copy = new PlProxyClusterOptions
        {
            HashFlavor = HashFlavor,
            CaseMapping = CaseMapping,
            KeepAlive = KeepAlive,
            MaxPoolSize = MaxPoolSize,
            MinPoolSize = MinPoolSize,
            MaxConnectionsPerPartition = MaxConnectionsPerPartition,
            CoalesceCalls = CoalesceCalls,
            MaxCallsPerRoundTrip = MaxCallsPerRoundTrip,
            LongCallThreshold = LongCallThreshold,
            MaxStandbyLag = MaxStandbyLag,
            StandbyCheckInterval = StandbyCheckInterval,
            ReadYourWrites = ReadYourWrites,
            Pooler = Pooler,
        };
        copy.Retry.MaxRetryAttempts = Retry.MaxRetryAttempts;
        copy.Retry.Delay = Retry.Delay;
        copy.Retry.BackoffType = Retry.BackoffType;
        copy.Retry.UseJitter = Retry.UseJitter;
        copy.Retry.MaxDelay = Retry.MaxDelay;
        copy.CircuitBreaker.Enabled = CircuitBreaker.Enabled;
        copy.CircuitBreaker.FailureRatio = CircuitBreaker.FailureRatio;
        copy.CircuitBreaker.MinimumThroughput = CircuitBreaker.MinimumThroughput;
        copy.CircuitBreaker.SamplingDuration = CircuitBreaker.SamplingDuration;
        copy.CircuitBreaker.BreakDuration = CircuitBreaker.BreakDuration;
        return copy;
    }

    /// <summary>What these options add to each partition's connection string.</summary>
    internal PartitionConnectionSettings ConnectionSettings() =>
        new(ConnectTimeout, ConnectionLifetime, KeepAlive, PoolSize(), MinPoolSize, DefaultUser,
            BehindTransactionPooler: Pooler is PlProxyPooler.PgBouncerTransaction or PlProxyPooler.PgBouncerStatement);

    // The pool holds no more connections than the cap lets calls use.
    private int? PoolSize() => (MaxPoolSize, MaxConnectionsPerPartition) switch
    {
        ({ } pool, { } cap) => Math.Min(pool, cap),
        (null, { } cap) => cap,
        (var pool, null) => pool,
    };

    private static int Integer(string key, string value) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out int result)
            ? result
            : throw new ArgumentException($"Config param {key} must be an integer, not '{value}'.", nameof(value));
}

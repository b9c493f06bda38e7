using Npgsql;
using PlProxy.Client.Configuration;

namespace PlProxy.Client.Clusters;

/// <summary>A cluster as a proxy database defines it.</summary>
/// <param name="Version">Its version: <c>plproxy.get_cluster_version</c>'s result, or a digest of the SQL/MED server's options.</param>
/// <param name="Options">Its partitions and settings.</param>
/// <param name="Credentials">
/// For a SQL/MED server, the user mapping's <c>user</c> and <c>password</c> in libpq's form, appended to every partition
/// of <paramref name="Options"/> (as PL/Proxy appends them); empty otherwise.
/// </param>
internal sealed record ProxyClusterDefinition(string Version, PlProxyClusterOptions Options, string Credentials = "");

/// <summary>
/// Reads cluster definitions from an existing PL/Proxy proxy database, as PL/Proxy does: a SQL/MED server of the
/// <c>plproxy</c> foreign-data wrapper if there is one of that name (with the user mapping's user and password), else
/// the functions <c>plproxy.get_cluster_version</c>, <c>get_cluster_partitions</c> and <c>get_cluster_config</c>.
/// </summary>
internal static class ProxyDatabaseReader
{
    private const string SqlMedQuery = """
        select s.srvoptions, um.umoptions, w.fdwoptions, pg_catalog.has_server_privilege(s.oid, 'USAGE'), um.umid is not null, current_user::text
        from pg_catalog.pg_foreign_server s
        join pg_catalog.pg_foreign_data_wrapper w on w.oid = s.srvfdw
        left join pg_catalog.pg_user_mappings um on um.srvid = s.oid and um.usename in (current_user, 'public')
        where w.fdwname = 'plproxy' and s.srvname = $1
        order by um.usename = current_user desc
        limit 1
        """;

    /// <summary>The cluster's current version, without reading the rest.</summary>
    /// <exception cref="ClusterNotDefinedException">The proxy database gives the cluster no version.</exception>
    public static async Task<string> VersionAsync(NpgsqlDataSource proxy, string cluster, CancellationToken cancellationToken)
    {
        if (await SqlMedAsync(proxy, cluster, clientSide: null, cancellationToken).ConfigureAwait(false) is { } sqlMed)
        {
            return sqlMed.Version;
        }

        await using NpgsqlCommand command = proxy.CreateCommand("select plproxy.get_cluster_version($1)::text");
        command.Parameters.Add(new NpgsqlParameter { Value = cluster });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string
            ?? throw new ClusterNotDefinedException($"plproxy.get_cluster_version('{cluster}') returned NULL"); // as a map table's max(version) does for a cluster it lacks
    }

    /// <summary>The cluster's definition.</summary>
    /// <exception cref="PostgresException">The proxy database raised an error (for example "no such cluster").</exception>
    /// <exception cref="ArgumentException">A setting is unknown or invalid.</exception>
    /// <param name="proxy">The proxy database.</param>
    /// <param name="cluster">The cluster's name.</param>
    /// <param name="clientSide">The client's own settings for the cluster (<see cref="PlProxyOptions.ProxyDatabaseClusters"/>), or null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the reading.</param>
    public static async Task<ProxyClusterDefinition> LoadAsync(NpgsqlDataSource proxy, string cluster, PlProxyClusterOptions? clientSide, CancellationToken cancellationToken)
    {
        ProxyClusterDefinition definition = await SqlMedAsync(proxy, cluster, clientSide, cancellationToken).ConfigureAwait(false)
            ?? await ConfigFunctionsAsync(proxy, cluster, clientSide, cancellationToken).ConfigureAwait(false);
        (definition.Options.ProxyDatabaseEncoding, definition.Options.CaseMapping) = await TextRulesAsync(proxy, cancellationToken).ConfigureAwait(false);
        return definition;
    }

    private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string Lower = "abcdefghijklmnopqrstuvwxyz";

    /// <summary>
    /// How the proxy database treated text in the routes PL/Proxy evaluated there (whatever the client side said: the
    /// database decides), in one round trip: its <c>server_encoding</c> (<see cref="ServerEncodingAsync"/>), and how
    /// <c>lower()</c> and <c>upper()</c> change case: <see cref="PlProxyCaseMapping.CLocale"/> under the C
    /// (or POSIX) locale of libc, where only ASCII letters change; <see cref="PlProxyCaseMapping.Turkic"/> where ASCII I
    /// and i change as Turkish and Azerbaijani change them (<c>lower('I')</c> is <c>ı</c>, <c>upper('i')</c> is
    /// <c>İ</c>: the one way a locale maps ASCII letters otherwise than C); else
    /// <see cref="PlProxyCaseMapping.AsciiOnly"/> (the mapping of other letters depends on the locale).
    /// </summary>
    /// <exception cref="ArgumentException">The database maps ASCII letters in yet another way.</exception>
    private static async Task<(string Encoding, PlProxyCaseMapping CaseMapping)> TextRulesAsync(NpgsqlDataSource proxy, CancellationToken cancellationToken)
    {
        // datlocprovider (PostgreSQL 15 and later; read through jsonb so that older servers answer null): 'c' is libc.
        await using NpgsqlCommand command = proxy.CreateCommand($"""
            select lower('{Upper}'), upper('{Lower}'), d.datctype::text in ('C', 'POSIX') and coalesce(pg_catalog.to_jsonb(d) ->> 'datlocprovider', 'c') = 'c',
                   pg_catalog.current_setting('server_encoding')
            from pg_catalog.pg_database d where d.datname = pg_catalog.current_database()
            """);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        (string lower, string upper, bool cLocale, string encoding) = (reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), reader.GetString(3));
        return (encoding, (lower, upper) switch
        {
            (Lower, Upper) => cLocale ? PlProxyCaseMapping.CLocale : PlProxyCaseMapping.AsciiOnly,
            ("abcdefgh\u0131jklmnopqrstuvwxyz", "ABCDEFGH\u0130JKLMNOPQRSTUVWXYZ") => PlProxyCaseMapping.Turkic,
            _ => throw new ArgumentException($"The database's locale changes the case of ASCII letters as the client cannot: lower('{Upper}') is '{lower}', upper('{Lower}') is '{upper}'."),
        });
    }

    /// <summary>
    /// A database's <c>server_encoding</c>, the encoding its <c>hashtext</c> hashes text in: the proxy database's (PL/Proxy
    /// hashed keys there, <see cref="PlProxyClusterOptions.ProxyDatabaseEncoding"/>) or a partition's (partconf hashes
    /// keys there).
    /// </summary>
    public static async Task<string> ServerEncodingAsync(NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = database.CreateCommand("select current_setting('server_encoding')");
        return (string)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task<ProxyClusterDefinition> ConfigFunctionsAsync(NpgsqlDataSource proxy, string cluster, PlProxyClusterOptions? clientSide, CancellationToken cancellationToken)
    {
        PlProxyClusterOptions options = clientSide?.ClientSideCopy() ?? new PlProxyClusterOptions();
        string version = await VersionAsync(proxy, cluster, cancellationToken).ConfigureAwait(false);
        await using (NpgsqlCommand partitions = proxy.CreateCommand("select * from plproxy.get_cluster_partitions($1)"))
        {
            partitions.Parameters.Add(new NpgsqlParameter { Value = cluster });
            await using NpgsqlDataReader reader = await partitions.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                options.Partitions.Add(reader.IsDBNull(0) ? throw new ArgumentException($"plproxy.get_cluster_partitions('{cluster}'): connstr must not be NULL (partition {options.Partitions.Count})") : reader.GetString(0));
            }
        }

        await using (NpgsqlCommand config = proxy.CreateCommand("select key, val from plproxy.get_cluster_config($1)"))
        {
            config.Parameters.Add(new NpgsqlParameter { Value = cluster });
            await using NpgsqlDataReader reader = await config.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // As PL/Proxy reads them: a NULL key or value fails the cluster rather than be passed over.
                string key = reader.IsDBNull(0) ? throw new ArgumentException($"plproxy.get_cluster_config('{cluster}'): key must not be NULL") : reader.GetString(0);
                options.ApplyPlProxySetting(key, reader.IsDBNull(1) ? throw new ArgumentException($"plproxy.get_cluster_config('{cluster}'): val must not be NULL (key {key})") : reader.GetString(1));
            }
        }

        return new ProxyClusterDefinition(version, options);
    }

    private static async Task<ProxyClusterDefinition?> SqlMedAsync(NpgsqlDataSource proxy, string cluster, PlProxyClusterOptions? clientSide, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = proxy.CreateCommand(SqlMedQuery);
        command.Parameters.Add(new NpgsqlParameter { Value = cluster });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        string[] serverOptions = reader.IsDBNull(0) ? [] : reader.GetFieldValue<string[]>(0);
        string[] userOptions = reader.IsDBNull(1) ? [] : reader.GetFieldValue<string[]>(1);
        string[] wrapperOptions = reader.IsDBNull(2) ? [] : reader.GetFieldValue<string[]>(2);

        // As PL/Proxy: the role needs USAGE on the server, and a user mapping (its own, or PUBLIC's).
        if (!reader.GetBoolean(3))
        {
            throw new ArgumentException($"permission denied for foreign server {cluster}");
        }

        if (!reader.GetBoolean(4))
        {
            throw new ArgumentException($"user mapping not found for \"{reader.GetString(5)}\" (SQL/MED server '{cluster}')");
        }

        // The wrapper's settings first, then the server's, which override them, as PL/Proxy applies them. Partitions are
        // p0, p1 ... or partition_0 ..., in any order; the rest are settings.
        var partitions = new SortedDictionary<int, string>();
        PlProxyClusterOptions options = clientSide?.ClientSideCopy() ?? new PlProxyClusterOptions();
        foreach (string option in wrapperOptions)
        {
            (string key, string value) = Option(option);
            options.ApplyPlProxySetting(key, value);
        }

        foreach (string option in serverOptions)
        {
            (string key, string value) = Option(option);
            if (PartitionNumber(key) is { } number)
            {
                if (!partitions.TryAdd(number, value))
                {
                    throw new ArgumentException($"SQL/MED server '{cluster}' defines partition {number} twice.");
                }
            }
            else
            {
                options.ApplyPlProxySetting(key, value);
            }
        }

        string credentials = string.Join(' ', userOptions
            .Select(Option)
            .Where(o => o.Key is "user" or "password")
            .Select(o => $"{o.Key}='{o.Value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)}'"));
        int expected = 0;
        foreach ((int number, string connectionString) in partitions)
        {
            if (number != expected++)
            {
                throw new ArgumentException($"SQL/MED server '{cluster}' has no partition {expected - 1}.");
            }

            options.Partitions.Add(credentials.Length == 0 ? connectionString : $"{connectionString} {credentials}");
        }

        string digest = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(string.Join('\n', serverOptions.Concat(userOptions).Concat(wrapperOptions)))));
        return new ProxyClusterDefinition("sqlmed:" + digest[..16], options, credentials);
    }

    // A catalog option as PostgreSQL lists it: key=value.
    private static (string Key, string Value) Option(string option)
    {
        int equals = option.IndexOf('=', StringComparison.Ordinal);
        return equals < 0 ? (option, "") : (option[..equals], option[(equals + 1)..]);
    }

    internal static int? PartitionNumber(string key)
    {
        string? digits = key.StartsWith("partition_", StringComparison.Ordinal) ? key["partition_".Length..]
            : key.Length > 1 && key[0] == 'p' && char.IsDigit(key[1]) ? key[1..]
            : null;
        return digits is not null && int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int number) ? number : null;
    }
}

using Npgsql;
using PlProxy.Client.Clusters;
using PlProxy.Client.Configuration;
using PlProxy.Client.Connections;
using PlProxy.Client.Hashing;
using PlProxy.Client.Planning;

namespace PlProxy.Client.Partconf;

/// <summary>
/// partconf, the partition side of routing: a versioned, idempotent SQL script that gives every partition database
/// <c>partconf.check_hash(hash)</c> (a call's first statement: refuses a hash this database does not own),
/// <c>partconf.valid_hash()</c> (the same as a row trigger on a key column) and <c>partconf.global_id()</c> (ids
/// unique across the cluster).
/// </summary>
public static class PartconfDatabase
{
    /// <summary>The version of <see cref="Script"/> (<c>partconf.script_version()</c> on an installed database).</summary>
    public const int ScriptVersion = 3;

    private static readonly Lazy<string> Text = new(() =>
    {
        using Stream stream = typeof(PartconfDatabase).Assembly.GetManifestResourceStream("PlProxy.Client.Partconf.partconf.sql")
            ?? throw new InvalidOperationException("The partconf script is missing from the PlProxy.Client assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <summary>The SQL script: creates or updates schema <c>partconf</c>, keeping its configuration and id sequence.</summary>
    public static string Script => Text.Value;

    /// <summary>
    /// Installs or updates partconf on every partition database of a cluster as a PL/Proxy proxy database defines it
    /// (configuration functions or SQL/MED), each database recording the partition numbers it serves (several when
    /// partitions share a connection string), the partition count, the mapping and hash flavour, and a db_code: the
    /// one its partconf already has (the low bits of <c>partconf.global_id()</c>: a changed code could repeat ids the
    /// database issued before), or for a database without one the lowest code no database of the cluster has. The
    /// definition and every database's code are read and checked before any database is touched; each database is
    /// installed in its own transaction, so a run stopped midway is finished by running it again.
    /// </summary>
    /// <param name="proxyDatabase">The proxy database's connection string (Npgsql's or libpq's form).</param>
    /// <param name="cluster">The cluster's name.</param>
    /// <param name="cancellationToken">Cancels the installation between databases or within one (that one is not changed).</param>
    /// <returns>What each distinct database now serves, in the order of its first partition.</returns>
    /// <exception cref="PlProxyException">
    /// The proxy database has no valid definition of the cluster, or two of its databases already have the same db_code.
    /// </exception>
    public static async Task<IReadOnlyList<PartconfSettings>> InstallClusterAsync(string proxyDatabase, string cluster, CancellationToken cancellationToken = default)
    {
        List<(string ConnectionString, PartconfSettings Settings)> databases = await WithKeptDbCodesAsync(
            await DatabasesAsync(proxyDatabase, cluster, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        foreach ((string connectionString, PartconfSettings settings) in databases)
        {
            await using NpgsqlDataSource database = NpgsqlDataSource.Create(connectionString);
            await InstallAsync(database, settings, cancellationToken).ConfigureAwait(false);
        }

        return [.. databases.Select(d => d.Settings)];
    }

    /// <summary>
    /// <c>partconf.configure(...)</c> for <paramref name="settings"/> (it returns the configuration's new version): the one
    /// statement that says what a database serves, for installing and for a split's or move's switch alike.
    /// </summary>
    internal static NpgsqlCommand ConfigureCommand(PartconfSettings settings, NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        var command = new NpgsqlCommand("select partconf.configure($1, $2, $3, $4, $5, $6)", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = settings.Cluster });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. settings.Partitions.Distinct().Order()] });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = settings.PartitionCount });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = settings.DbCode });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = settings.ModularMapping ? "modular" : "mask" });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = settings.HashFlavor == PlProxyHashFlavor.Legacy83 ? "legacy83" : "modern" });
        return command;
    }

    /// <summary>
    /// Checks every partition database of a cluster against the map a PL/Proxy proxy database publishes: each
    /// database's partconf serves exactly the partitions (and count) the map assigns it; each has every partitioned
    /// table (a table with a <c>partconf.valid_hash</c> trigger) any of them has; and every row of those tables is on the
    /// database the map assigns its key to — by the map's count, mapping and hash flavour, not the database's own
    /// partconf, so a database left behind by an interrupted change is found. Reads only.
    /// </summary>
    /// <param name="proxyDatabase">The proxy database's connection string (Npgsql's or libpq's form).</param>
    /// <param name="cluster">The cluster's name.</param>
    /// <param name="cancellationToken">Cancels the checking.</param>
    /// <returns>The counts per database and table (databases in the order of their first partition) and the problems found.</returns>
    /// <exception cref="PlProxyException">The proxy database has no valid definition of the cluster.</exception>
    public static async Task<PartconfVerification> VerifyClusterAsync(string proxyDatabase, string cluster, CancellationToken cancellationToken = default)
    {
        var counts = new List<PartconfTableCount>();
        var problems = new List<string>();
        var found = new List<(string Name, PartconfSettings Expected, List<PartitionedTable> Tables)>();
        PartconfCluster definition = await DatabasesAsync(proxyDatabase, cluster, cancellationToken).ConfigureAwait(false);
        string clients = definition.Definition.Options.ProxyDatabaseEncoding;
        foreach ((string connectionString, PartconfSettings expected) in definition.Databases)
        {
            await using NpgsqlDataSource database = NpgsqlDataSource.Create(connectionString);
            string name = new NpgsqlConnectionStringBuilder(connectionString).Database ?? "?";
            string assigned = $"partitions {string.Join(", ", expected.Partitions)} of {expected.PartitionCount}";
            (int[] Partitions, int Count)? conf = await ConfOfAsync(database, cancellationToken).ConfigureAwait(false);
            if (conf is not { } own)
            {
                problems.Add($"{name} has no partconf configuration; the map assigns it {assigned} (plproxy partconf install).");
            }
            else if (!own.Partitions.Order().SequenceEqual(expected.Partitions.Order()) || own.Count != expected.PartitionCount)
            {
                problems.Add($"{name}'s partconf serves partitions {string.Join(", ", own.Partitions)} of {own.Count}; the published map assigns it {assigned}.");
            }

            List<PartitionedTable> tables = await PartitionedTablesAsync(database, cancellationToken).ConfigureAwait(false);
            string encoding = await ProxyDatabaseReader.ServerEncodingAsync(database, cancellationToken).ConfigureAwait(false);
            if (tables.Any(t => t.HashesText) && !ServerEncodings.HashTextAlike(encoding, clients))
            {
                problems.Add($"{name} has encoding {encoding}, but the cluster's clients hash text as {clients} (its proxy database's encoding): its partconf hashes text keys with non-ASCII characters otherwise, so it refuses their writes, and its rows are checked by that hash.");
            }

            foreach (PartitionedTable table in tables)
            {
                await using NpgsqlCommand count = database.CreateCommand($"select count(*), count(*) filter (where not {table.BelongsTo("t", expected)}) from {table.Table} t");
                await using NpgsqlDataReader reader = await count.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                counts.Add(new PartconfTableCount(name, expected.Partitions, table.Table, table.Column, reader.GetInt64(0), reader.GetInt64(1)));
            }

            found.Add((name, expected, tables));
        }

        // Which tables the cluster has is known only once every database was read.
        string[] clusterTables = [.. found.SelectMany(d => d.Tables.Select(t => t.Table)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        if (clusterTables.Length == 0)
        {
            problems.Add($"No database of cluster {cluster} has a partitioned table (a table with a partconf.valid_hash trigger): nothing was checked.");
        }

        foreach ((string name, PartconfSettings expected, List<PartitionedTable> tables) in found)
        {
            string[] missing = [.. clusterTables.Except(tables.Select(t => t.Table), StringComparer.Ordinal)];
            if (missing.Length > 0)
            {
                problems.Add($"{name} (partitions {string.Join(", ", expected.Partitions)} of {expected.PartitionCount}) lacks the cluster's partitioned table(s) {string.Join(", ", missing)}: the rows of its partitions are not there.");
            }
        }

        return new PartconfVerification(counts, problems);
    }

    // A database's partconf: the partitions it serves and the count, or null when it has none.
    private static async Task<(int[] Partitions, int Count)?> ConfOfAsync(NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = database.CreateCommand("select part_nrs, part_count from partconf.conf");
        try
        {
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? (reader.GetFieldValue<int[]>(0), reader.GetInt32(1)) : null;
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            return null;
        }
    }

    /// <summary>
    /// Installs or updates partconf on one partition database and records what it serves, in one transaction (two
    /// installers at once wait for each other). Returns the configuration's version, raised by every install.
    /// </summary>
    /// <param name="database">The partition database.</param>
    /// <param name="settings">What the database serves.</param>
    /// <param name="cancellationToken">Cancels the installation (nothing is changed).</param>
    /// <returns>The version of the database's partconf configuration.</returns>
    /// <exception cref="ArgumentException"><paramref name="settings"/> cannot describe a partition database.</exception>
    public static async Task<long> InstallAsync(NpgsqlDataSource database, PartconfSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var lockCommand = new NpgsqlCommand("select pg_advisory_xact_lock(hashtext('partconf.install'))", connection, transaction))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var script = new NpgsqlCommand(Script, connection, transaction))
        {
            await script.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        long version;
        await using (NpgsqlCommand configure = ConfigureCommand(settings, connection, transaction))
        {
            version = (long)(await configure.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return version;
    }

    /// <summary>The db_code of a database's partconf, or null when it has none (partconf not installed).</summary>
    internal static async Task<int?> DbCodeAsync(NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = database.CreateCommand("select db_code from partconf.conf");
        try
        {
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as int?;
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            return null;
        }
    }

    // The cluster's databases, each with the db_code its partconf has, or the lowest code none of them has.
    internal static async Task<List<(string ConnectionString, PartconfSettings Settings)>> WithKeptDbCodesAsync(PartconfCluster cluster, CancellationToken cancellationToken)
    {
        var existing = new int?[cluster.Databases.Count];
        for (int i = 0; i < existing.Length; i++)
        {
            await using NpgsqlDataSource database = NpgsqlDataSource.Create(cluster.Databases[i].ConnectionString);
            existing[i] = await DbCodeAsync(database, cancellationToken).ConfigureAwait(false);
        }

        var holders = new Dictionary<int, int>(); // db_code -> the database that has it
        for (int i = 0; i < existing.Length; i++)
        {
            if (existing[i] is int code && !holders.TryAdd(code, i))
            {
                throw new PlProxyException(
                    $"Cluster '{cluster.Name}': databases {DatabaseName(cluster.Databases[holders[code]].ConnectionString)} and {DatabaseName(cluster.Databases[i].ConnectionString)} both have db_code {code}, "
                    + "so partconf.global_id() can repeat ids across them; give one of them a code no other database has (partconf.configure) and run again. Nothing was changed.")
                { Cluster = cluster.Name };
            }
        }

        int free = 0;
        var databases = new List<(string ConnectionString, PartconfSettings Settings)>(existing.Length);
        for (int i = 0; i < existing.Length; i++)
        {
            PartconfSettings settings = cluster.Databases[i].Settings with { DbCode = existing[i] ?? NextFree(i) };
            settings.Validate(); // a code past partconf's range is refused before any database is touched
            databases.Add((cluster.Databases[i].ConnectionString, settings));
        }

        return databases;

        int NextFree(int database)
        {
            while (!holders.TryAdd(free, database))
            {
                free++;
            }

            return free;
        }
    }

    private static string DatabaseName(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"'{builder.Database}' on {builder.Host}:{builder.Port}";
    }

    // The partitioned tables of a partition database: those with a partconf.valid_hash trigger, which names the key
    // column (and optionally its hash function).
    internal static async Task<List<PartitionedTable>> PartitionedTablesAsync(NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        var tables = new List<PartitionedTable>();
        await using NpgsqlCommand command = database.CreateCommand("""
            select t.tgrelid::regclass::text, a[1], nullif(a[2], '')::regproc::text
            from pg_catalog.pg_trigger t
            cross join lateral (select string_to_array(encode(t.tgargs, 'escape'), '\000') a) args
            where t.tgfoid = to_regproc('partconf.valid_hash') and not t.tgisinternal
            order by 1
            """);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            tables.Add(new PartitionedTable(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        }

        return tables;
    }

    // The cluster as the proxy database defines it, with its distinct databases and what each serves; the definition
    // is read (once) and checked before anything else happens.
    internal static async Task<PartconfCluster> DatabasesAsync(string proxyDatabase, string cluster, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(proxyDatabase);
        ArgumentException.ThrowIfNullOrEmpty(cluster);
        ProxyClusterDefinition definition;
        await using (NpgsqlDataSource proxy = NpgsqlDataSource.Create(ConnectionStrings.ForProxyDatabase(proxyDatabase)))
        {
            definition = await ProxyDatabaseReader.LoadAsync(proxy, cluster, clientSide: null, cancellationToken).ConfigureAwait(false);
        }

        return Cluster(cluster, definition);
    }

    // A cluster's definition (from a proxy database or the application's configuration), checked, with its distinct
    // databases and what each serves.
    internal static PartconfCluster Cluster(string cluster, ProxyClusterDefinition definition)
    {
        PlProxyClusterOptions options = definition.Options;
        List<string> failures = [.. PlProxyOptionsValidator.ClusterFailures(cluster, options)];
        if (failures.Count > 0)
        {
            throw new PlProxyException($"The definition of cluster '{cluster}' is invalid: {string.Join(" ", failures)}") { Cluster = cluster };
        }

        var layout = new ClusterLayout(cluster, [.. options.Partitions]);
        var databases = new List<(string ConnectionString, PartconfSettings Settings)>();
        for (int connection = 0; connection < layout.ConnectionCount; connection++)
        {
            int[] partitions = [.. Enumerable.Range(0, layout.PartitionCount).Where(p => layout.ConnectionOf(p) == connection)];
            var settings = new PartconfSettings(cluster, partitions, layout.PartitionCount, connection) { ModularMapping = options.ModularMapping, HashFlavor = options.HashFlavor };
            settings.Validate();
            databases.Add((ConnectionStrings.ForPartition(layout.ConnectionString(connection), options.ConnectionSettings()), settings));
        }

        return new PartconfCluster(cluster, definition, databases);
    }
}

/// <summary>A cluster as a proxy database defines it, and its distinct databases with what each serves.</summary>
internal sealed record PartconfCluster(string Name, ProxyClusterDefinition Definition, List<(string ConnectionString, PartconfSettings Settings)> Databases)
{
    public string Version => Definition.Version;

    /// <summary>The Npgsql connection string of a partition written as the proxy database writes them (credentials of a SQL/MED user mapping added).</summary>
    public string ConnectionStringOf(string partition) => ConnectionStrings.ForPartition(
        Definition.Credentials.Length == 0 ? partition : $"{partition} {Definition.Credentials}", Definition.Options.ConnectionSettings());
}

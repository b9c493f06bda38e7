using System.Text;
using Npgsql;
using PlProxy.Client.Clusters;
using PlProxy.Client.Connections;
using PlProxy.Client.Language;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>How a proxy database defines a cluster's partition list, and so whether the tool can switch it.</summary>
internal enum ProxyMapKind
{
    /// <summary>A SQL/MED server of the plproxy wrapper: the switch is one <c>ALTER SERVER ... OPTIONS</c>.</summary>
    SqlMed,

    /// <summary>
    /// The table <c>plproxy.cluster_map (cluster_name, version, part_nr, connstr)</c>, whose newest version
    /// <c>get_cluster_partitions</c> and <c>get_cluster_version</c> serve: the switch inserts a new version.
    /// </summary>
    ClusterMapTable,

    /// <summary>Functions of the user's own: the tool cannot know how to change them.</summary>
    Functions,

    /// <summary>No proxy database: the application's configuration, written as a new appsettings fragment.</summary>
    Configuration,
}

/// <summary>
/// A cluster's partition list as the proxy database writes it (connection strings as written, without the SQL/MED user
/// mapping's credentials), and the one transaction that replaces it and notifies every client
/// (<c>NOTIFY plproxy_cluster_changed</c>).
/// </summary>
internal sealed class ProxyMap
{
    private const string ClusterMapCheck = """
        select coalesce(array_agg(m.connstr order by m.part_nr), '{}'),
               (select max(version) from plproxy.cluster_map where cluster_name = $1)::text = plproxy.get_cluster_version($1)::text,
               coalesce(array_agg(m.connstr order by m.part_nr), '{}') = array(select plproxy.get_cluster_partitions($1))
        from plproxy.cluster_map m
        where m.cluster_name = $1 and m.version = (select max(version) from plproxy.cluster_map where cluster_name = $1)
        """;

    private readonly string _proxy;
    private readonly string[] _keys; // SQL/MED option names of the partitions, in order
    private readonly (System.Text.Json.Nodes.JsonObject Json, string Path)? _configuration;

    private ProxyMap(string proxy, string cluster, ProxyMapKind kind, string[] partitions, string[] keys, (System.Text.Json.Nodes.JsonObject, string)? configuration = null)
    {
        _proxy = proxy;
        Cluster = cluster;
        Kind = kind;
        Partitions = partitions;
        _keys = keys;
        _configuration = configuration;
    }

    public string Cluster { get; }

    public ProxyMapKind Kind { get; }

    /// <summary>Whether <see cref="PublishAsync"/> has published a new map (the switch is done).</summary>
    public bool Switched { get; private set; }

    /// <summary>The partitions' connection strings as the proxy database writes them.</summary>
    public IReadOnlyList<string> Partitions { get; }

    /// <summary>A cluster of the application's configuration, its switch written to <paramref name="path"/>.</summary>
    public static ProxyMap ForConfiguration(string cluster, IEnumerable<string> partitions, System.Text.Json.Nodes.JsonObject json, string path) =>
        new("", cluster, ProxyMapKind.Configuration, [.. partitions], [], (json, path));

    /// <summary>Reads how the proxy database defines the cluster, and its partition list.</summary>
    public static async Task<ProxyMap> ReadAsync(string proxy, string cluster, IEnumerable<string> definedPartitions, CancellationToken cancellationToken)
    {
        await using NpgsqlDataSource database = ToolDatabase.Create(proxy);
        await using (NpgsqlCommand sqlMed = database.CreateCommand("""
            select s.srvoptions from pg_catalog.pg_foreign_server s
            join pg_catalog.pg_foreign_data_wrapper w on w.oid = s.srvfdw
            where w.fdwname = 'plproxy' and s.srvname = $1
            """))
        {
            sqlMed.Parameters.Add(new NpgsqlParameter<string> { TypedValue = cluster });
            if (await sqlMed.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string[] options)
            {
                var partitions = new SortedDictionary<int, (string Key, string Value)>();
                foreach (string option in options)
                {
                    int equals = option.IndexOf('=', StringComparison.Ordinal);
                    string key = equals < 0 ? option : option[..equals];
                    if (ProxyDatabaseReader.PartitionNumber(key) is { } number)
                    {
                        partitions[number] = (key, equals < 0 ? "" : option[(equals + 1)..]);
                    }
                }

                return new ProxyMap(proxy, cluster, ProxyMapKind.SqlMed, [.. partitions.Values.Select(p => p.Value)], [.. partitions.Values.Select(p => p.Key)]);
            }
        }

        await using (NpgsqlCommand table = database.CreateCommand("select to_regclass('plproxy.cluster_map') is not null"))
        {
            if ((bool)(await table.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                await using NpgsqlCommand check = database.CreateCommand(ClusterMapCheck);
                check.Parameters.Add(new NpgsqlParameter<string> { TypedValue = cluster });
                await using NpgsqlDataReader reader = await check.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                string[] partitions = reader.GetFieldValue<string[]>(0);
                if (partitions.Length > 0 && !reader.IsDBNull(1) && reader.GetBoolean(1) && reader.GetBoolean(2))
                {
                    return new ProxyMap(proxy, cluster, ProxyMapKind.ClusterMapTable, partitions, []);
                }
            }
        }

        return new ProxyMap(proxy, cluster, ProxyMapKind.Functions, [.. definedPartitions], []);
    }

    /// <summary>
    /// The partitions of every other cluster the proxy database defines where the tool can read them (SQL/MED servers
    /// of the plproxy wrapper, the newest version of each cluster of <c>plproxy.cluster_map</c>), or the application's
    /// configuration defines beside this one, as written there.
    /// </summary>
    public async Task<List<(string Cluster, string Partition)>> OtherClustersAsync(CancellationToken cancellationToken)
    {
        if (_configuration is var (json, _))
        {
            return [.. ConfiguredCluster.Others(json)];
        }

        var others = new List<(string, string)>();

        await using NpgsqlDataSource database = ToolDatabase.Create(_proxy);
        await using (NpgsqlCommand servers = database.CreateCommand("""
            select s.srvname::text, o.option from pg_catalog.pg_foreign_server s
            join pg_catalog.pg_foreign_data_wrapper w on w.oid = s.srvfdw, unnest(coalesce(s.srvoptions, '{}')) o(option)
            where w.fdwname = 'plproxy' and s.srvname <> $1
            """))
        {
            servers.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Cluster });
            await using NpgsqlDataReader rows = await servers.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await rows.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                string option = rows.GetString(1);
                int equals = option.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0 && ProxyDatabaseReader.PartitionNumber(option[..equals]) is not null)
                {
                    others.Add((rows.GetString(0), option[(equals + 1)..]));
                }
            }
        }

        await using NpgsqlCommand table = database.CreateCommand("""
            select m.cluster_name, m.connstr from plproxy.cluster_map m
            where m.cluster_name <> $1
              and m.version = (select max(v.version) from plproxy.cluster_map v where v.cluster_name = m.cluster_name)
            """);
        table.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Cluster });
        try
        {
            await using NpgsqlDataReader rows = await table.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await rows.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                others.Add((rows.GetString(0), rows.GetString(1)));
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // no plproxy.cluster_map here
        }

        return others;
    }

    /// <summary>
    /// Replaces the partition list with <paramref name="partitions"/> and notifies every client, in one transaction,
    /// unless the list already is <paramref name="partitions"/>. Returns whether it changed anything.
    /// </summary>
    public async Task<bool> PublishAsync(IReadOnlyList<string> partitions, CancellationToken cancellationToken)
    {
        if (Kind == ProxyMapKind.Functions)
        {
            throw new ToolRefusal(ManualSwitch(partitions));
        }

        if (_configuration is ({ } json, string path))
        {
            // Written whole or not at all: a new file moved over the old one.
            string temporary = path + ".tmp";
            await File.WriteAllTextAsync(temporary, ConfiguredCluster.Fragment(Cluster, json, partitions), cancellationToken).ConfigureAwait(false);
            File.Move(temporary, path, overwrite: true);
            Switched = true;
            return true;
        }

        await using NpgsqlDataSource database = ToolDatabase.Create(_proxy);
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        ProxyMap current = await ReadAsync(_proxy, Cluster, Partitions, cancellationToken).ConfigureAwait(false);
        if (current.Partitions.SequenceEqual(partitions, StringComparer.Ordinal))
        {
            return false;
        }

        await using (NpgsqlCommand change = Kind == ProxyMapKind.SqlMed
            ? new NpgsqlCommand(AlterServer(partitions), connection, transaction)
            : new NpgsqlCommand("""
                insert into plproxy.cluster_map (cluster_name, version, part_nr, connstr)
                select $1, (select max(version) + 1 from plproxy.cluster_map where cluster_name = $1), i - 1, c
                from unnest($2::text[]) with ordinality u(c, i)
                """, connection, transaction))
        {
            if (Kind == ProxyMapKind.ClusterMapTable)
            {
                change.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Cluster });
                change.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. partitions] });
            }

            await change.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var notify = new NpgsqlCommand("select pg_notify($1, $2)", connection, transaction))
        {
            notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ProxyDatabaseSource.ChangeChannel });
            notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Cluster });
            await notify.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        Switched = true;
        return true;
    }

    /// <summary>What an operator must run to publish <paramref name="partitions"/> where the tool cannot.</summary>
    public string ManualSwitch(IReadOnlyList<string> partitions)
    {
        var text = new StringBuilder();
        text.AppendLine($"The proxy database defines cluster '{Cluster}' with functions of its own (neither a SQL/MED server nor plproxy.cluster_map), so plproxy cannot switch it; nothing was changed.");
        text.AppendLine($"At the switch, plproxy.get_cluster_partitions('{Cluster}') must return, in this order (passwords, shown as ***, as your definition has them):");
        for (int i = 0; i < partitions.Count; i++)
        {
            text.AppendLine($"  {i}: {ConnectionStrings.Shown(partitions[i])}");
        }

        text.AppendLine($"and plproxy.get_cluster_version('{Cluster}') a new number, followed by: NOTIFY {ProxyDatabaseSource.ChangeChannel}, {Literal(Cluster)};");
        text.Append("Keep the map in plproxy.cluster_map (cluster_name, version, part_nr, connstr; the newest version serves) or a SQL/MED server, and plproxy switches it for you.");
        return text.ToString();
    }

    private string AlterServer(IReadOnlyList<string> partitions)
    {
        var options = new List<string>();
        for (int i = 0; i < partitions.Count; i++)
        {
            string value = Literal(partitions[i]);
            options.Add(i < _keys.Length ? $"set {_keys[i]} {value}" : $"add {(_keys.Length > 0 && _keys[0].StartsWith("partition_", StringComparison.Ordinal) ? "partition_" : "p")}{i} {value}");
        }

        for (int i = partitions.Count; i < _keys.Length; i++)
        {
            options.Add($"drop {_keys[i]}");
        }

        return $"alter server {SqlNames.QuoteIdentifier(Cluster)} options ({string.Join(", ", options)})";
    }

    private static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}

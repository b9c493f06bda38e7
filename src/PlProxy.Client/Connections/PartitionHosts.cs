using System.Globalization;
using Npgsql;

namespace PlProxy.Client.Connections;

/// <summary>
/// The hosts of a replicated partition: a connection string in Npgsql's multi-host form (<c>Host=a:5432,b:5432</c>)
/// names a primary and its standbys; each host's own connection string is the same string with only that host.
/// </summary>
internal static class PartitionHosts
{
    /// <summary>Whether the connection string names several hosts (a primary and its standbys).</summary>
    public static bool IsReplicated(NpgsqlConnectionStringBuilder builder) => builder.Host?.Contains(',', StringComparison.Ordinal) == true;

    /// <summary>Whether the Npgsql connection string names several hosts.</summary>
    public static bool IsReplicated(string connectionString) => IsReplicated(new NpgsqlConnectionStringBuilder(connectionString));

    /// <summary>Each host as <c>host:port</c> and its own connection string (any role: the standby monitor tells them apart).</summary>
    public static (string Endpoint, string ConnectionString)[] Split(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        string[] hosts = builder.Host!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var split = new (string, string)[hosts.Length];
        for (int i = 0; i < hosts.Length; i++)
        {
            (string host, int port) = Parse(hosts[i], builder.Port);
            var single = new NpgsqlConnectionStringBuilder(connectionString)
            {
                Host = host,
                Port = port,
                TargetSessionAttributes = null,
            };
            single.Remove("Host Recheck Seconds");
            single.Remove("Load Balance Hosts");
            split[i] = ($"{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port.ToString(CultureInfo.InvariantCulture)}", single.ConnectionString);
        }

        return split;
    }

    // "host", "host:port" or "[v6]:port", as Npgsql reads a multi-host list.
    private static (string Host, int Port) Parse(string entry, int defaultPort)
    {
        if (entry.StartsWith('['))
        {
            int close = entry.IndexOf(']', StringComparison.Ordinal);
            string host = entry[1..close];
            return close + 1 < entry.Length && entry[close + 1] == ':' ? (host, int.Parse(entry[(close + 2)..], CultureInfo.InvariantCulture)) : (host, defaultPort);
        }

        int colon = entry.LastIndexOf(':');
        return colon > 0 && entry.IndexOf(':', StringComparison.Ordinal) == colon
            ? (entry[..colon], int.Parse(entry[(colon + 1)..], CultureInfo.InvariantCulture))
            : (entry, defaultPort);
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Connections;

namespace PlProxy.Client.Tool.Scaffolding.Emitting;

/// <summary>Writes cluster definitions as an <c>appsettings.json</c> fragment for <c>AddPlProxy(configuration.GetSection("PlProxy"))</c>, without passwords.</summary>
internal static class AppSettingsWriter
{
    public const string FileName = "appsettings.plproxy.json";

    /// <summary>The fragment, and whether any password was left out.</summary>
    public static (string Json, bool PasswordsLeftOut) Write(IReadOnlyList<(string Name, PlProxyClusterOptions Options)> clusters)
    {
        bool passwordsLeftOut = false;
        var json = new StringBuilder();
        json.Append("{\n");
        json.Append("  // Cluster definitions read from the proxy database by plproxy scaffold. Passwords are left out: give them to the\n");
        json.Append("  // partitions' connection strings from a secret store (user secrets, environment variables such as\n");
        json.Append("  // PlProxy__Clusters__<cluster>__Partitions__0), or use a ~/.pgpass file, which Npgsql reads.\n");
        json.Append("  \"PlProxy\": {\n    \"Clusters\": {");
        for (int c = 0; c < clusters.Count; c++)
        {
            (string name, PlProxyClusterOptions options) = clusters[c];
            json.Append(c == 0 ? "\n" : ",\n").Append("      ").Append(Quote(name)).Append(": {\n        \"Partitions\": [");
            for (int p = 0; p < options.Partitions.Count; p++)
            {
                string partition = options.Partitions[p];
                var builder = new NpgsqlConnectionStringBuilder(ConnectionStrings.ToNpgsql(partition));
                if (builder.Password is not null || builder.SslPassword is not null)
                {
                    // Both secrets: the login's, and the one that unlocks the client's SSL key.
                    builder.Password = null;
                    builder.SslPassword = null;
                    passwordsLeftOut = true;
                }

                json.Append(p == 0 ? "\n" : ",\n").Append("          ").Append(Quote(builder.ConnectionString));
            }

            json.Append("\n        ]");
            foreach ((string key, string value) in Settings(options))
            {
                json.Append(",\n        ").Append(Quote(key)).Append(": ").Append(value);
            }

            json.Append("\n      }");
        }

        json.Append("\n    }\n  }\n}\n");
        return (json.ToString(), passwordsLeftOut);
    }

    // The settings that differ from the defaults, as configuration binding reads them.
    private static IEnumerable<(string Key, string Value)> Settings(PlProxyClusterOptions options)
    {
        if (options.ModularMapping)
        {
            yield return ("ModularMapping", "true");
        }

        foreach ((string key, TimeSpan? value) in new[]
        {
            ("QueryTimeout", options.QueryTimeout), ("ConnectionLifetime", options.ConnectionLifetime),
            ("ConnectTimeout", options.ConnectTimeout), ("KeepAlive", options.KeepAlive),
        })
        {
            if (value is { } time)
            {
                yield return (key, Quote(time.ToString("c", CultureInfo.InvariantCulture)));
            }
        }

        if (options.DefaultUser is { } user)
        {
            yield return ("DefaultUser", Quote(user));
        }

        if (options.CaseMapping != PlProxyCaseMapping.AsciiOnly)
        {
            yield return ("CaseMapping", Quote(options.CaseMapping.ToString())); // lower()/upper() of I and i as the proxy database's locale did
        }

        if (!string.Equals(options.ProxyDatabaseEncoding, Hashing.ServerEncodings.Utf8, StringComparison.OrdinalIgnoreCase))
        {
            yield return ("ProxyDatabaseEncoding", Quote(options.ProxyDatabaseEncoding)); // text hashed in it: only ASCII keys route the same
        }
    }

    private static string Quote(string text) => JsonSerializer.Serialize(text);
}

using System.Text.RegularExpressions;
using Npgsql;
using PlProxy.Client.Clusters;
using PlProxy.Client.Configuration;
using PlProxy.Client.Connections;
using PlProxy.Client.Hashing;
using PlProxy.Client.Language;
using PlProxy.Client.Tool.Scaffolding.Catalog;
using PlProxy.Client.Tool.Scaffolding.Emitting;
using PlProxy.Client.Tool.Scaffolding.Mapping;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Scaffolding;

/// <summary>Reads a proxy database and scaffolds its plproxy functions: interfaces, records, an appsettings fragment and a report.</summary>
internal static partial class Scaffolder
{
    public static async Task<ScaffoldResult> RunAsync(ScaffoldOptions options, CancellationToken cancellationToken)
    {
        string connection = ConnectionStrings.ToNpgsql(options.Connection);
        string database = DatabaseName.AddressOf(connection);
        await using NpgsqlDataSource proxy = ToolDatabase.Create(connection);

        IReadOnlyList<CatalogFunction> functions = await new ProxyCatalog(proxy).FunctionsAsync(cancellationToken).ConfigureAwait(false);
        List<CatalogFunction> selected = [.. functions.Where(f => Selected(f, options))];

        // The proxy database's SQL hash functions that bodies may call: those the client evaluates exactly are ported.
        string? otherTextEncoding = ServerEncodings.OtherThanUtf8(await ProxyDatabaseReader.ServerEncodingAsync(proxy, cancellationToken).ConfigureAwait(false));
        var ported = new List<PortedFunction>();
        var notPorted = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (CatalogFunction sql in await new ProxyCatalog(proxy).FunctionsAsync("sql", cancellationToken).ConfigureAwait(false))
        {
            if (SqlFunctionPort.TryPort(sql, otherTextEncoding, out string why) is { } port)
            {
                ported.Add(port);
            }
            else
            {
                notPorted.TryAdd(sql.Name, why);
            }
        }

        var mapper = new FunctionMapper(options.Grouping, ported);
        var methods = new List<ScaffoldMethod>();
        var unmapped = new List<UnmappedFunction>();
        foreach (CatalogFunction function in selected)
        {
            (ScaffoldMethod? method, UnmappedFunction? failure) = mapper.Map(function);
            if (method is not null)
            {
                methods.Add(method);
            }
            else
            {
                unmapped.Add(WhyNotPorted(failure!, notPorted));
            }
        }

        var interfaces = methods
            .GroupBy(m => m.Group, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (Interface: InterfaceName(g.Key), Methods: (IReadOnlyList<ScaffoldMethod>)[.. g]))
            .ToList();
        DisambiguateInterfaceNames(interfaces);

        var clusters = new List<(string, PlProxyClusterOptions)>();
        var clusterErrors = new List<(string, string)>();
        foreach (string cluster in methods.Select(m => m.Cluster).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            try
            {
                clusters.Add((cluster, (await ProxyDatabaseReader.LoadAsync(proxy, cluster, clientSide: null, cancellationToken).ConfigureAwait(false)).Options));
            }
            catch (Exception e) when (e is PostgresException or ArgumentException or ClusterNotDefinedException)
            {
                clusterErrors.Add((cluster, e is PostgresException remote ? $"{remote.SqlState}: {remote.MessageText}" : e.Message));
            }
        }

        var files = new List<(string, string)>();
        foreach ((string interfaceName, IReadOnlyList<ScaffoldMethod> groupMethods) in interfaces)
        {
            files.Add(CSharpWriter.Interface(options.Namespace, interfaceName, groupMethods[0].Group, options.Grouping, groupMethods));
        }

        ScaffoldRecord[] records = [.. methods.Select(m => m.Record).OfType<ScaffoldRecord>().Distinct()];
        if (records.Length > 0)
        {
            files.Add(CSharpWriter.Records(options.Namespace, records));
        }

        (string json, bool passwordsLeftOut) = AppSettingsWriter.Write(clusters);
        files.Add((AppSettingsWriter.FileName, json));
        var result = new ScaffoldResult(database, functions.Count, functions.Count - selected.Count, methods, interfaces, unmapped, clusters, clusterErrors, passwordsLeftOut, files);
        files.Add((ReportWriter.FileName, ReportWriter.Write(result)));
        return result;
    }

    // A body that calls a SQL function of the proxy database the scaffold could not port says why it was not ported.
    private static UnmappedFunction WhyNotPorted(UnmappedFunction failure, Dictionary<string, string> notPorted) =>
        UnknownFunction().Match(failure.Reason) is { Success: true } match && notPorted.TryGetValue(match.Groups["name"].Value, out string? why)
            ? failure with { Reason = $"{failure.Reason} ({match.Groups["name"].Value} is a SQL function the scaffold did not port: {why})" }
            : failure;

    [GeneratedRegex(@"unknown function (?<name>[A-Za-z_][A-Za-z0-9_$]*)", RegexOptions.CultureInvariant)]
    private static partial Regex UnknownFunction();

    private static bool Selected(CatalogFunction function, ScaffoldOptions options) =>
        (options.Schemas.Count == 0 || options.Schemas.Contains(function.Schema, StringComparer.Ordinal))
        && (options.NamePatterns.Count == 0 || options.NamePatterns.Any(p => Matches(function.Name, p)))
        && (options.Clusters.Count == 0 || ClusterOf(function.Body) is { } cluster && options.Clusters.Contains(cluster, StringComparer.Ordinal));

    private static bool Matches(string name, string pattern) =>
        Regex.IsMatch(name, "^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant);

    private static string? ClusterOf(string body) =>
        Parser.Parse(body).Statements.OfType<ClusterSyntax>().FirstOrDefault()?.Name;

    private static string InterfaceName(string group)
    {
        string pascal = CSharpNames.Pascal(new string([.. group.Select(c => char.IsLetterOrDigit(c) ? c : '_')]));
        return "I" + (pascal.Length == 0 ? "Unnamed" : pascal.TrimStart('_')) + "Proxy";
    }

    private static void DisambiguateInterfaceNames(List<(string Interface, IReadOnlyList<ScaffoldMethod> Methods)> interfaces)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < interfaces.Count; i++)
        {
            string name = interfaces[i].Interface;
            for (int n = 2; !seen.Add(name); n++)
            {
                name = $"{interfaces[i].Interface[..^"Proxy".Length]}{n}Proxy";
            }

            interfaces[i] = (name, interfaces[i].Methods);
        }
    }
}

using PlProxy.Client.Scaffold.Mapping;

namespace PlProxy.Client.Scaffold;

/// <summary>What to scaffold, from where, to where.</summary>
/// <param name="Connection">The proxy database's connection string (Npgsql's or libpq's form).</param>
/// <param name="Output">The directory to write to.</param>
/// <param name="Namespace">The namespace of the generated code.</param>
/// <param name="Schemas">Only functions of these schemas (all when empty).</param>
/// <param name="NamePatterns">Only functions whose name matches one of these patterns (<c>*</c> and <c>?</c> wildcards; all when empty).</param>
/// <param name="Clusters">Only functions whose CLUSTER names one of these (all when empty).</param>
/// <param name="Grouping">One interface per cluster or per schema.</param>
/// <param name="Force">Overwrite files that exist.</param>
internal sealed record ScaffoldOptions(
    string Connection,
    string Output,
    string Namespace,
    IReadOnlyList<string> Schemas,
    IReadOnlyList<string> NamePatterns,
    IReadOnlyList<string> Clusters,
    ScaffoldGrouping Grouping,
    bool Force)
{
    public const string Usage = """
        plproxy-scaffold: generates PlProxy.Client interfaces from the plproxy functions of a PL/Proxy proxy database.

        Usage: plproxy-scaffold --connection "<connection string>" --output <directory> [options]

          --connection <cs>   the proxy database (Npgsql "Host=...;Database=..." or libpq "host=... dbname=...")
          --output <dir>      where to write the interfaces, Rows.cs, appsettings.plproxy.json and scaffold-report.md
          --namespace <ns>    the namespace of the generated code (default: PlProxyFunctions)
          --schema <name>     only functions of this schema (repeatable)
          --name <pattern>    only functions whose name matches (* and ? wildcards; repeatable)
          --cluster <name>    only functions that run on this cluster (repeatable)
          --group-by <g>      one interface per 'cluster' (default) or per 'schema'
          --force             overwrite existing files
          --help              this text
        """;

    /// <summary>Parses the command line.</summary>
    /// <exception cref="ArgumentException">An option is unknown, lacks its value or has an invalid one; the message names it.</exception>
    public static ScaffoldOptions Parse(IReadOnlyList<string> args)
    {
        string? connection = null, output = null, @namespace = null;
        var schemas = new List<string>();
        var names = new List<string>();
        var clusters = new List<string>();
        var grouping = ScaffoldGrouping.Cluster;
        bool force = false;
        for (int i = 0; i < args.Count; i++)
        {
            string option = args[i];
            switch (option)
            {
                case "--connection": connection = Value(); break;
                case "--output": output = Value(); break;
                case "--namespace": @namespace = Value(); break;
                case "--schema": schemas.Add(Value()); break;
                case "--name": names.Add(Value()); break;
                case "--cluster": clusters.Add(Value()); break;
                case "--group-by":
                    grouping = Value() switch
                    {
                        "cluster" => ScaffoldGrouping.Cluster,
                        "schema" => ScaffoldGrouping.Schema,
                        var other => throw new ArgumentException($"--group-by takes 'cluster' or 'schema', not '{other}'."),
                    };
                    break;
                case "--force": force = true; break;
                default: throw new ArgumentException($"Unknown option '{option}'.");
            }

            string Value() =>
                i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i + 1].Length > 0
                    ? args[++i]
                    : throw new ArgumentException($"{option} needs a value.");
        }

        @namespace ??= "PlProxyFunctions";
        if (!@namespace.Split('.').All(Mapping.CSharpNames.IsIdentifier))
        {
            throw new ArgumentException($"--namespace '{@namespace}' is not a C# namespace.");
        }

        return new ScaffoldOptions(
            connection ?? throw new ArgumentException("--connection is required: the proxy database's connection string."),
            output ?? throw new ArgumentException("--output is required: the directory to write to."),
            @namespace, schemas, names, clusters, grouping, force);
    }
}

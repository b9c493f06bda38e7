using System.CommandLine;
using Npgsql;
using PlProxy.Client.Tool.Scaffolding;
using PlProxy.Client.Tool.Scaffolding.Emitting;
using PlProxy.Client.Tool.Scaffolding.Mapping;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Commands;

/// <summary><c>plproxy scaffold</c>: runs a scaffolding and writes its files, refusing to overwrite unless told to.</summary>
internal static class ScaffoldCommand
{
    /// <summary>The verb, its options and its action.</summary>
    public static Command Create()
    {
        var connection = new Option<string>("--connection") { Description = "The proxy database (Npgsql \"Host=...;Database=...\" or libpq \"host=... dbname=...\")", Required = true };
        var output = new Option<string>("--output") { Description = "Where to write the interfaces, Rows.cs, appsettings.plproxy.json and scaffold-report.md", Required = true };
        var @namespace = new Option<string>("--namespace") { Description = "The namespace of the generated code", DefaultValueFactory = _ => "PlProxyFunctions" };
        @namespace.Validators.Add(result =>
        {
            string value = result.GetValueOrDefault<string>();
            if (!value.Split('.').All(CSharpNames.IsIdentifier))
            {
                result.AddError($"--namespace '{value}' is not a C# namespace.");
            }
        });
        var schemas = new Option<string[]>("--schema") { Description = "Only functions of this schema (repeatable)" };
        var names = new Option<string[]>("--name") { Description = "Only functions whose name matches (* and ? wildcards; repeatable)" };
        var clusters = new Option<string[]>("--cluster") { Description = "Only functions that run on this cluster (repeatable)" };
        var groupBy = new Option<string>("--group-by") { Description = "One interface per 'cluster' or per 'schema'", DefaultValueFactory = _ => "cluster" };
        groupBy.AcceptOnlyFromAmong("cluster", "schema");
        var force = new Option<bool>("--force") { Description = "Overwrite existing files" };

        var command = new Command("scaffold", "Generates PlProxy.Client interfaces from the plproxy functions of a PL/Proxy proxy database.")
        {
            connection, output, @namespace, schemas, names, clusters, groupBy, force,
        };
        command.SetAction((result, cancellationToken) => RunAsync(
            new ScaffoldOptions(
                result.GetValue(connection)!,
                result.GetValue(output)!,
                result.GetValue(@namespace)!,
                result.GetValue(schemas) ?? [],
                result.GetValue(names) ?? [],
                result.GetValue(clusters) ?? [],
                result.GetValue(groupBy) == "schema" ? ScaffoldGrouping.Schema : ScaffoldGrouping.Cluster,
                result.GetValue(force)),
            result.InvocationConfiguration.Output,
            result.InvocationConfiguration.Error,
            cancellationToken));
        return command;
    }

    /// <summary>Exit code 0 on success, 1 for bad input (existing files, no function to scaffold), 2 when the proxy database cannot be read.</summary>
    public static async Task<int> RunAsync(ScaffoldOptions options, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ScaffoldResult result;
        try
        {
            result = await Scaffolder.RunAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or ArgumentException or InvalidOperationException or ToolRefusal)
        {
            await error.WriteLineAsync($"plproxy scaffold: cannot read the proxy database: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        if (result.FunctionCount - result.FilteredOut == 0)
        {
            await error.WriteLineAsync(result.FunctionCount == 0
                ? "plproxy scaffold: the proxy database has no plproxy functions (functions in language plproxy); nothing was written."
                : $"plproxy scaffold: none of the proxy database's {result.FunctionCount} plproxy functions matches --schema, --name and --cluster; nothing was written.").ConfigureAwait(false);
            return 1;
        }

        string[] existing = [.. result.Files.Select(f => Path.Combine(options.Output, f.Name)).Where(File.Exists)];
        if (existing.Length > 0 && !options.Force)
        {
            await error.WriteLineAsync($"plproxy scaffold: {string.Join(", ", existing)} exist; nothing was written (--force overwrites them).").ConfigureAwait(false);
            return 1;
        }

        if (!await WriteAllOrNothingAsync(options.Output, result.Files, error, cancellationToken).ConfigureAwait(false))
        {
            return 1;
        }

        await output.WriteLineAsync(
            $"plproxy scaffold: {result.Methods.Count} of {result.FunctionCount - result.FilteredOut} functions scaffolded into {result.Interfaces.Count} interfaces in {options.Output}; " +
            $"{result.Unmapped.Count} not mapped (see {ReportWriter.FileName}).").ConfigureAwait(false);
        return 0;
    }

    // Every file written, or none: each is written beside its place first, and only once all are, moved into place.
    // A directory that cannot be made or written (or a file name taken by a directory) says so, leaving nothing behind.
    private static async Task<bool> WriteAllOrNothingAsync(string directory, IEnumerable<(string Name, string Content)> files, TextWriter error, CancellationToken cancellationToken)
    {
        var written = new List<(string Temporary, string Path)>();
        try
        {
            Directory.CreateDirectory(directory);
            foreach ((string name, string content) in files)
            {
                string path = Path.Combine(directory, name);
                if (Directory.Exists(path))
                {
                    throw new IOException($"{path} is a directory");
                }

                written.Add((path + ".plproxy-scaffold.tmp", path));
                await File.WriteAllTextAsync(written[^1].Temporary, content, cancellationToken).ConfigureAwait(false);
            }

            foreach ((string temporary, string path) in written)
            {
                File.Move(temporary, path, overwrite: true);
            }

            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach ((string temporary, _) in written)
            {
                File.Delete(temporary);
            }

            await error.WriteLineAsync($"plproxy scaffold: cannot write into {directory}: {e.Message}; nothing was written.").ConfigureAwait(false);
            return false;
        }
    }
}

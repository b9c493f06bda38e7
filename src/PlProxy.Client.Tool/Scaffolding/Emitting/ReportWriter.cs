using System.Text;
using PlProxy.Client.Tool.Scaffolding.Mapping;

namespace PlProxy.Client.Tool.Scaffolding.Emitting;

/// <summary>Writes <c>scaffold-report.md</c>: what became what, what could not be mapped and why, and what to check.</summary>
internal static class ReportWriter
{
    public const string FileName = "scaffold-report.md";

    public static string Write(ScaffoldResult result)
    {
        var report = new StringBuilder();
        report.Append("# plproxy scaffold report\n\n");
        report.Append($"Proxy database: `{result.Database}`. plproxy functions: {result.FunctionCount}");
        if (result.FilteredOut > 0)
        {
            report.Append($" ({result.FilteredOut} left out by --schema/--name/--cluster)");
        }

        report.Append($"; scaffolded: {result.Methods.Count} methods in {result.Interfaces.Count} interfaces; not mapped: {result.Unmapped.Count}.\n");

        report.Append("\n## Not mapped\n\n");
        if (result.Unmapped.Count == 0)
        {
            report.Append("Every function was mapped.\n");
        }
        else
        {
            report.Append("| Function | Reason |\n|---|---|\n");
            foreach (UnmappedFunction unmapped in result.Unmapped)
            {
                report.Append($"| `{Cell(unmapped.Function.Signature)}` | {Cell(unmapped.Reason)} |\n");
            }
        }

        report.Append("\n## Methods\n\n| Interface | Method | Function | Notes |\n|---|---|---|---|\n");
        foreach ((string interfaceName, IReadOnlyList<ScaffoldMethod> methods) in result.Interfaces)
        {
            foreach (ScaffoldMethod method in methods)
            {
                var notes = new List<string>(method.Notes);
                if (method.TargetAdded is { } target)
                {
                    notes.Insert(0, $"TARGET {target} added");
                }

                report.Append($"| {interfaceName} | {method.Name} | `{Cell(method.Function.Signature)}` | {Cell(string.Join("; ", notes))} |\n");
            }
        }

        report.Append("\n## Clusters\n\n");
        if (result.Clusters.Count == 0 && result.ClusterErrors.Count == 0)
        {
            report.Append("No scaffolded function names a cluster.\n");
        }

        foreach ((string name, var options) in result.Clusters)
        {
            report.Append($"- `{name}`: {options.Partitions.Count} partitions, in {AppSettingsWriter.FileName}\n");
        }

        foreach ((string name, string error) in result.ClusterErrors)
        {
            report.Append($"- `{name}`: not read from the proxy database: {error}\n");
        }

        if (result.PasswordsLeftOut)
        {
            report.Append("\nPasswords were left out of the partitions' connection strings; the fragment says where they go.\n");
        }

        return report.ToString();
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}

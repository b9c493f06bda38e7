using PlProxy.Client.Tool.Scaffolding.Mapping;

namespace PlProxy.Client.Tool.Scaffolding;

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
    bool Force);

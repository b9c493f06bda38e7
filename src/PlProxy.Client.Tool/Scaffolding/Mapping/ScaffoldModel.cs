using PlProxy.Client.Tool.Scaffolding.Catalog;

namespace PlProxy.Client.Tool.Scaffolding.Mapping;

/// <summary>A parameter of a scaffolded method.</summary>
/// <param name="Name">The C# parameter name: the argument's name (a PL/Proxy body refers to it by that name).</param>
/// <param name="Type">Its C# type.</param>
/// <param name="PgType">The <c>[PgType]</c> to put on it, or null.</param>
internal sealed record ScaffoldParameter(string Name, string Type, string? PgType);

/// <summary>A record generated for a composite result.</summary>
/// <param name="Name">The C# type name.</param>
/// <param name="Source">Where its columns come from (a composite type, or a function's OUT parameters), for its doc comment.</param>
/// <param name="Properties">Its properties in column order: C# name and type.</param>
internal sealed record ScaffoldRecord(string Name, string Source, IReadOnlyList<(string Name, string Type)> Properties);

/// <summary>A proxy function that became a method.</summary>
/// <param name="Function">The function.</param>
/// <param name="Group">The interface it belongs to (its cluster or schema).</param>
/// <param name="Name">The C# method name.</param>
/// <param name="Body">The body for <c>[PlProxy]</c>: the function's own, with a TARGET added when the method name does not map back to the function.</param>
/// <param name="TargetAdded">The TARGET that was added, or null.</param>
/// <param name="Parameters">The parameters.</param>
/// <param name="ReturnType">The C# return type.</param>
/// <param name="ReturnPgType">The <c>[return: PgType]</c> to put on it, or null.</param>
/// <param name="Record">The record of a composite result, or null.</param>
/// <param name="Cluster">The cluster a CLUSTER statement names, or null (CONNECT).</param>
/// <param name="Notes">What a reader should know (enums, domains).</param>
internal sealed record ScaffoldMethod(
    CatalogFunction Function,
    string Group,
    string Name,
    string Body,
    string? TargetAdded,
    IReadOnlyList<ScaffoldParameter> Parameters,
    string ReturnType,
    string? ReturnPgType,
    ScaffoldRecord? Record,
    string? Cluster,
    IReadOnlyList<string> Notes)
{
    /// <summary>The proxy database's hash functions its body calls, ported to C#.</summary>
    public IReadOnlyList<PortedFunction> Functions { get; init; } = [];
}

/// <summary>A proxy function that could not become a method, and why.</summary>
/// <param name="Function">The function.</param>
/// <param name="Reason">Why.</param>
internal sealed record UnmappedFunction(CatalogFunction Function, string Reason);

namespace PlProxy.Client.Tool.Security;

/// <summary>
/// A partition function a proxy database's PL/Proxy function calls for a cluster: its name (TARGET, else the proxy
/// function's) and argument types, as PL/Proxy calls it on every partition.
/// </summary>
/// <param name="Proxy">The proxy function (its signature), for messages.</param>
/// <param name="Name">The partition function's name, as the call names it (schema-qualified or resolved by search_path).</param>
/// <param name="ArgumentTypes">Its argument types, as <c>format_type</c> writes them.</param>
internal sealed record PublishedFunction(string Proxy, string Name, IReadOnlyList<string> ArgumentTypes)
{
    /// <summary><c>name(type, ...)</c>, for <c>to_regprocedure</c>.</summary>
    public string Signature => $"{Name}({string.Join(", ", ArgumentTypes)})";

    /// <summary>Why a function whose body is a SELECT is not granted (its query is its own, which no EXECUTE covers).</summary>
    public static string NotGrantable(string function) =>
        $"{function} runs a SELECT of its own on the partitions: EXECUTE cannot cover it; give its query a SECURITY DEFINER function of the partition and TARGET it.";
}

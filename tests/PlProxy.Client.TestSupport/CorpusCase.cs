namespace PlProxy.Client.TestSupport;

/// <summary>One case of PL/Proxy's regression corpus, as the corpus file gives it.</summary>
/// <param name="Name">The case name (source file, number and function).</param>
/// <param name="Sql">Its CREATE FUNCTION statement.</param>
/// <param name="ClientDecision">The client's deliberate divergence from PL/Proxy ("reject PLPX2004 ..."), or null.</param>
public sealed record CorpusCase(string Name, string Sql, string? ClientDecision)
{
    /// <inheritdoc />
    public override string ToString() => Name;
}

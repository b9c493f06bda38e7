using PlProxy.Client.TestSupport;

namespace PlProxy.Client.Tests.Language;

/// <summary>One case of the regression corpus, its CREATE FUNCTION read into the signature and body the client binds.</summary>
/// <param name="Name">The case name (source file, number and function).</param>
/// <param name="Definition">The function.</param>
/// <param name="ClientDecision">The client's deliberate divergence from PL/Proxy ("reject PLPX2004 ..."), or null.</param>
internal sealed record RegressionCase(string Name, SqlFunctionDefinition Definition, string? ClientDecision)
{
    public override string ToString() => Name;
}

/// <summary>PL/Proxy's regression corpus (shared with the scaffold tests through TestSupport), parsed.</summary>
internal static class RegressionCorpus
{
    /// <summary>Types and domains the corpus's signatures and bodies refer to, created in the proxy database first.</summary>
    public static string Setup => PlProxyRegressionCorpus.Setup;

    public static IReadOnlyList<RegressionCase> Load() =>
        [.. PlProxyRegressionCorpus.Load().Select(c => new RegressionCase(c.Name, SqlFunctionDefinition.Parse(c.Sql), c.ClientDecision))];
}

namespace PlProxy.Client.Tests.Language;

/// <summary>One case of the regression corpus.</summary>
/// <param name="Name">The case name (source file, number and function).</param>
/// <param name="Definition">The function.</param>
/// <param name="ClientDecision">The client's deliberate divergence from PL/Proxy ("reject PLPX2004 ..."), or null.</param>
internal sealed record RegressionCase(string Name, SqlFunctionDefinition Definition, string? ClientDecision)
{
    public override string ToString() => Name;
}

/// <summary>Loads Corpus/plproxy-regression-bodies.sql.</summary>
internal static class RegressionCorpus
{
    /// <summary>Types and domains the corpus's signatures and bodies refer to (Corpus/plproxy-regression-setup.sql), created in the proxy database first.</summary>
    public static string Setup => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Language", "Corpus", "plproxy-regression-setup.sql"));

    public static IReadOnlyList<RegressionCase> Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Language", "Corpus", "plproxy-regression-bodies.sql");
        var cases = new List<RegressionCase>();
        foreach (string chunk in File.ReadAllText(path).Split("-- case: ")[1..])
        {
            string[] lines = chunk.Split('\n');
            string? client = lines.Skip(1).FirstOrDefault(l => l.StartsWith("-- client: ", StringComparison.Ordinal))?["-- client: ".Length..].Trim();
            string sql = string.Join('\n', lines.Skip(1).Where(l => !l.StartsWith("-- client: ", StringComparison.Ordinal))).Trim();
            cases.Add(new RegressionCase(lines[0].Trim(), SqlFunctionDefinition.Parse(sql), client));
        }

        return cases;
    }
}

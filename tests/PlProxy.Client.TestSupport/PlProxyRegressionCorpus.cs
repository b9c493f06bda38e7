namespace PlProxy.Client.TestSupport;

/// <summary>
/// Every function shape of PL/Proxy's own regression tests (Corpus/plproxy-regression-bodies.sql), and the types and
/// domains they refer to (Corpus/plproxy-regression-setup.sql): read by the language tests and the scaffold tests.
/// </summary>
public static class PlProxyRegressionCorpus
{
    private const string CaseMarker = "-- case: ";
    private const string ClientMarker = "-- client: ";

    /// <summary>The setup script, to run in the proxy database before the cases.</summary>
    public static string Setup => File.ReadAllText(PathOf("plproxy-regression-setup.sql"));

    /// <summary>The cases in file order.</summary>
    public static IReadOnlyList<CorpusCase> Load()
    {
        var cases = new List<CorpusCase>();
        foreach (string chunk in File.ReadAllText(PathOf("plproxy-regression-bodies.sql")).Split(CaseMarker)[1..])
        {
            string[] lines = chunk.Split('\n');
            string? client = lines.Skip(1).FirstOrDefault(l => l.StartsWith(ClientMarker, StringComparison.Ordinal))?[ClientMarker.Length..].Trim();
            string sql = string.Join('\n', lines.Skip(1).Where(l => !l.StartsWith(ClientMarker, StringComparison.Ordinal))).Trim();
            cases.Add(new CorpusCase(lines[0].Trim(), sql, client));
        }

        return cases;
    }

    private static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "Corpus", file);
}

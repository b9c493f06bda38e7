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
    /// <summary>Types, domains and functions the corpus's signatures and bodies refer to, created in the proxy database first.</summary>
    public const string Setup = """
        create type ret_table as (id int4, data text);
        create type ret_test_rec as (id int4, dat text);
        create type intl_data as (id int4, "ünïcode" text);
        create type numbers_type as (num int4, name text);
        create domain posint as int4 check (value > 0);
        create type struct as (id int4, data text);
        create type "RetWeird" as ("ColId" int4, "ColData" text);
        create type "bad type" as (x int4);
        create type f8range as range (subtype = float8);
        """;

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

namespace PlProxy.Client.Tool.Verbs;

/// <summary>Names from catalogs and the command line as the tool's SQL text writes them: quoted, never spliced in raw.</summary>
internal static class SqlIdentifier
{
    /// <summary>One identifier, quoted (its quotes doubled): any name, whatever its case or characters.</summary>
    public static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>A name that may be schema-qualified (<c>schema.table</c>), each part quoted.</summary>
    public static string QuoteQualified(string name) => string.Join('.', name.Split('.').Select(Quote));
}

namespace PlProxy.Client.Language;

/// <summary>How C# names become PostgreSQL names; shared by the generator and the scaffolding tool, so a scaffolded method name maps back to its function.</summary>
internal static class SqlNames
{
    /// <summary>PostgreSQL's name for a method: without an Async suffix, in snake_case (<c>GetHTTPStatusAsync</c> → <c>get_http_status</c>).</summary>
    public static string FromMethodName(string name)
    {
        if (name.EndsWith("Async", StringComparison.Ordinal) && name.Length > 5)
        {
            name = name.Substring(0, name.Length - 5);
        }

        var builder = new System.Text.StringBuilder(name.Length + 8);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                bool previousLowerOrDigit = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]));
                bool acronymEnd = i > 0 && char.IsUpper(name[i - 1]) && i + 1 < name.Length && char.IsLower(name[i + 1]);
                if ((previousLowerOrDigit || acronymEnd) && builder.Length > 0 && builder[builder.Length - 1] != '_')
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    // An identifier as PostgreSQL reads one: a word, or a double-quoted name ("" a quote inside it).
    private const string Identifier = "(?:[A-Za-z_\\u0080-\\uFFFF][A-Za-z0-9_$\\u0080-\\uFFFF]*|\"(?:[^\"\\u0000]|\"\")+\")";

    // A type's modifiers: varchar(20), numeric(10, 2), timestamp(3).
    private const string Modifiers = @"(?:\s*\(\s*[0-9]+(?:\s*,\s*[0-9]+)*\s*\))?";

    private static readonly System.Text.RegularExpressions.Regex FunctionNamePattern = new(
        $@"^{Identifier}(?:\s*\.\s*{Identifier})?$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    // The words SQL's multi-word type names go on with (double precision, character varying, timestamp with time zone,
    // interval day to second ...), and nothing else: a type name goes into the SQL text, so words of a query may not.
    private static readonly System.Text.RegularExpressions.Regex TypeNamePattern = new(
        $@"^\s*{Identifier}(?:\s*\.\s*{Identifier})?{Modifiers}(?:\s+(?:precision|varying|with|without|time|zone|year|month|day|hour|minute|second|to|character|char){Modifiers})*(?:\s*\[\s*[0-9]*\s*\])*\s*$",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant | System.Text.RegularExpressions.RegexOptions.IgnoreCase);

    /// <summary>
    /// Whether <paramref name="name"/> names a function as SQL takes it, the only form it goes into the SQL text in:
    /// an identifier (double-quoted or not), optionally schema-qualified (<c>ops.get_balance</c>).
    /// </summary>
    public static bool IsFunctionName(string name) => FunctionNamePattern.IsMatch(name);

    /// <summary>
    /// Whether <paramref name="name"/> names a type as SQL takes it (<c>int4</c>, <c>text[]</c>, <c>varchar(20)</c>,
    /// <c>double precision</c>, <c>timestamp(3) with time zone</c>, <c>public.mood</c>, <c>"Mood"</c>): it goes into
    /// the SQL text as a cast.
    /// </summary>
    public static bool IsTypeName(string name) => TypeNamePattern.IsMatch(name);

    /// <summary>
    /// <paramref name="name"/> as one identifier in SQL text: double-quoted, its quotes doubled, so any name, whatever
    /// its case or characters, stays one name.
    /// </summary>
    public static string QuoteIdentifier(string name) => "\"" + string.Join("\"\"", name.Split('"')) + "\""; // netstandard2.0 too (the generator)

    /// <summary>A name that may be schema-qualified (<c>schema.table</c>), each part quoted (<see cref="QuoteIdentifier"/>).</summary>
    public static string QuoteQualified(string name) => string.Join(".", name.Split('.').Select(QuoteIdentifier));

    /// <summary>Why <paramref name="name"/> is refused as a function name (<see cref="IsFunctionName"/>).</summary>
    public static string NotAFunctionName(string name) =>
        $"'{name}' is not a function name: an identifier, optionally schema-qualified (ops.get_balance), double-quoted where it needs quoting (\"getBalance\"). It goes into the SQL text.";

    /// <summary>Why <paramref name="name"/> is refused as a type name (<see cref="IsTypeName"/>).</summary>
    public static string NotATypeName(string name) =>
        $"'{name}' is not a PostgreSQL type name (int4, text[], varchar(20), double precision, public.mood ...). It goes into the SQL text as a cast.";

    /// <summary>
    /// Whether a result column fills a member: names compare ignoring case and underscores (<c>user_name</c> fills
    /// <c>UserName</c>); the rule rows are read by, and the generator checks <c>[MergeOrder]</c> keys by.
    /// </summary>
    public static bool SameColumn(string column, string member)
    {
        int c = 0, m = 0;
        while (true)
        {
            while (c < column.Length && column[c] == '_')
            {
                c++;
            }

            while (m < member.Length && member[m] == '_')
            {
                m++;
            }

            if (c == column.Length || m == member.Length)
            {
                return c == column.Length && m == member.Length;
            }

            if (char.ToUpperInvariant(column[c]) != char.ToUpperInvariant(member[m]))
            {
                return false;
            }

            c++;
            m++;
        }
    }
}

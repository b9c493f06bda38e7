using System.Text.RegularExpressions;
using PlProxy.Client.Language;

namespace PlProxy.Client.Tests.Language;

/// <summary>A PL/Proxy function as a CREATE FUNCTION statement: its SQL, and the signature and body the client binds.</summary>
internal sealed partial record SqlFunctionDefinition(string Name, string Sql, FunctionSignature Signature, string Body)
{
    /// <summary>Reads the name, the IN/INOUT arguments, whether it returns a set, and the body of a CREATE FUNCTION.</summary>
    public static SqlFunctionDefinition Parse(string sql)
    {
        Match header = Header().Match(sql);
        if (!header.Success)
        {
            throw new FormatException($"Not a CREATE FUNCTION: {sql}");
        }

        string name = header.Groups["name"].Value.Trim('"');
        int open = header.Index + header.Length - 1;
        int close = MatchingParenthesis(sql, open);
        string rest = sql[(close + 1)..];

        var parameters = new List<ParameterSignature>();
        foreach (string argument in SplitTopLevel(sql[(open + 1)..close]))
        {
            List<string> words = Words(argument);
            if (words.Count == 0)
            {
                continue;
            }

            string mode = words[0].ToLowerInvariant();
            if (mode is "in" or "out" or "inout" or "variadic")
            {
                words.RemoveAt(0);
            }

            if (mode == "out")
            {
                continue;
            }

            bool named = words.Count > 1 && !IsTypeContinuation(words);
            string parameterName = named ? words[0].Trim('"') : "";
            string type = string.Join(' ', named ? words.Skip(1) : words);
            parameters.Add(new ParameterSignature(parameterName, PgType.Parse(type.Trim('"'))));
        }

        bool returnsSet = Regex.IsMatch(rest, @"^\s*returns\s+(setof|table)\b", RegexOptions.IgnoreCase);
        Match body = BodyPattern().Match(rest);
        if (!body.Success)
        {
            throw new FormatException($"No $$ body in: {sql}");
        }

        return new SqlFunctionDefinition(name, sql, new FunctionSignature(name, new EquatableArray<ParameterSignature>([.. parameters]), returnsSet), body.Groups["body"].Value);
    }

    // "double precision", "character varying": two words, no name.
    private static bool IsTypeContinuation(List<string> words) =>
        words.Count == 2 && (words[0].Equals("double", StringComparison.OrdinalIgnoreCase) || words[0].Equals("character", StringComparison.OrdinalIgnoreCase));

    private static int MatchingParenthesis(string text, int open)
    {
        int depth = 0;
        for (int i = open; i < text.Length; i++)
        {
            depth += text[i] == '(' ? 1 : text[i] == ')' ? -1 : 0;
            if (depth == 0)
            {
                return i;
            }
        }

        throw new FormatException("Unbalanced parentheses.");
    }

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        int depth = 0, start = 0;
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            quoted ^= c == '"';
            if (quoted)
            {
                continue;
            }

            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
            if (c == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }

        yield return text[start..];
    }

    private static List<string> Words(string text) =>
        [.. Regex.Matches(text, "\"[^\"]*\"|[^\\s]+").Select(m => m.Value)];

    [GeneratedRegex(@"create\s+(or\s+replace\s+)?function\s+(?<name>""[^""]+""|[\w.]+)\s*\(", RegexOptions.IgnoreCase)]
    private static partial Regex Header();

    [GeneratedRegex(@"\bas\s*(?<tag>\$\w*\$)(?<body>.*?)\k<tag>", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex BodyPattern();
}

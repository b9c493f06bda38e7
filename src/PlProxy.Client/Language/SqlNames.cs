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

using System.Text;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>
/// One row change as PostgreSQL's <c>test_decoding</c> prints it:
/// <c>table public.t: UPDATE: old-key: id[text]:'a' new-tuple: id[text]:'b' v[integer]:2</c> — the table, the kind
/// of change, and each tuple it shows (an update's old key and new row are two) as columns with their values in the
/// types' text form. A value is null for SQL NULL and for a column kept out of line and unchanged
/// (<c>unchanged-toast-datum</c>): either way the change does not show it.
/// </summary>
/// <param name="Table">The table, <c>schema.table</c> with each part quoted as needed.</param>
/// <param name="Kind"><c>INSERT</c>, <c>UPDATE</c>, <c>DELETE</c> or <c>TRUNCATE</c>.</param>
/// <param name="Tuples">The tuples shown; none for a truncate or a delete without replica identity.</param>
internal sealed record DecodedChange(string Table, string Kind, IReadOnlyList<IReadOnlyDictionary<string, string?>> Tuples)
{
    private const string Prefix = "table ";

    /// <summary>The change a line prints, or null for a line that is not a row change (<c>BEGIN</c>, <c>COMMIT</c>, a message).</summary>
    /// <exception cref="FormatException">A row change the parser cannot read.</exception>
    public static DecodedChange? Parse(string line)
    {
        if (!line.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        int at = Prefix.Length;
        string table = ReadName(line, ref at, ':');
        string kind = ReadUntil(line, ref at, ':');
        var tuples = new List<IReadOnlyDictionary<string, string?>>();
        Dictionary<string, string?>? tuple = null;
        while (at < line.Length)
        {
            if (line[at] == ' ')
            {
                at++;
                continue;
            }

            if (line[at] == '(')
            {
                break; // (no-tuple-data), (no-flags), a truncate's options
            }

            if (At(line, at, "old-key:") || At(line, at, "new-tuple:"))
            {
                at = line.IndexOf(':', at) + 1;
                tuple = null;
                continue;
            }

            string column = ReadName(line, ref at, '[');
            int typeEnd = line.IndexOf("]:", at, StringComparison.Ordinal);
            if (typeEnd < 0)
            {
                throw new FormatException($"No type after column {column} in: {Shortened(line)}");
            }

            at = typeEnd + 2;
            if (tuple is null)
            {
                tuple = new Dictionary<string, string?>(StringComparer.Ordinal);
                tuples.Add(tuple);
            }

            tuple[column] = ReadValue(line, ref at);
        }

        return new DecodedChange(table, kind, tuples);
    }

    // A name as quote_identifier prints it ("a""b" or plain), ending at `until` (consumed with the ": " after a table).
    private static string ReadName(string line, ref int at, char until)
    {
        var name = new StringBuilder();
        while (at < line.Length && line[at] != until)
        {
            if (line[at] == '"')
            {
                int end = ClosingQuote(line, at, '"');
                name.Append(line, at, end - at + 1);
                at = end + 1;
            }
            else
            {
                name.Append(line[at++]);
            }
        }

        if (at >= line.Length)
        {
            throw new FormatException($"Expected '{until}' in: {Shortened(line)}");
        }

        at++; // the delimiter
        if (until == ':' && at < line.Length && line[at] == ' ')
        {
            at++;
        }

        return until == '[' ? Unquoted(name.ToString()) : name.ToString();
    }

    private static string ReadUntil(string line, ref int at, char delimiter)
    {
        int end = line.IndexOf(delimiter, at);
        if (end < 0)
        {
            throw new FormatException($"Expected '{delimiter}' in: {Shortened(line)}");
        }

        string text = line[at..end];
        at = end + 1;
        return text;
    }

    // 'quoted with '' doubled', B'0101' (bit strings), null, unchanged-toast-datum, or a bare number or boolean.
    private static string? ReadValue(string line, ref int at)
    {
        if (line[at] == '\'' || (line[at] == 'B' && at + 1 < line.Length && line[at + 1] == '\''))
        {
            int open = line[at] == '\'' ? at : at + 1;
            int end = ClosingQuote(line, open, '\'');
            at = end + 1;
            return line[(open + 1)..end].Replace("''", "'", StringComparison.Ordinal);
        }

        int space = line.IndexOf(' ', at);
        string bare = space < 0 ? line[at..] : line[at..space];
        at = space < 0 ? line.Length : space;
        return bare is "null" or "unchanged-toast-datum" ? null : bare;
    }

    private static int ClosingQuote(string line, int open, char quote)
    {
        for (int i = open + 1; i < line.Length; i++)
        {
            if (line[i] == quote)
            {
                if (i + 1 < line.Length && line[i + 1] == quote)
                {
                    i++;
                    continue;
                }

                return i;
            }
        }

        throw new FormatException($"Unclosed {quote} in: {Shortened(line)}");
    }

    private static string Unquoted(string name) =>
        name.Length >= 2 && name[0] == '"' && name[^1] == '"' ? name[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : name;

    private static bool At(string line, int at, string word) => string.CompareOrdinal(line, at, word, 0, word.Length) == 0;

    private static string Shortened(string line) => line.Length <= 200 ? line : line[..200] + "...";
}

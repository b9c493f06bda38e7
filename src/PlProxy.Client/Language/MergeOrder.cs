namespace PlProxy.Client.Language;

/// <summary>One key of a merge order: a result column, its direction, where its NULLs go, and a declared collation.</summary>
/// <param name="Column">The result column, as the function names it.</param>
/// <param name="Descending">True for DESC.</param>
/// <param name="NullsFirst">Where NULLs go: PostgreSQL's default is last for ASC and first for DESC.</param>
/// <param name="Collation">A collation declared with <c>COLLATE "..."</c>, or null for the database's default.</param>
internal sealed record MergeKey(string Column, bool Descending, bool NullsFirst, string? Collation)
{
    /// <summary>The key as an ORDER BY writes it, every part spelled out: <c>t COLLATE "C" DESC NULLS FIRST</c>.</summary>
    public override string ToString() =>
        $"{Column}{(Collation is null ? "" : $" COLLATE \"{Collation}\"")}{(Descending ? " DESC" : " ASC")}{(NullsFirst ? " NULLS FIRST" : " NULLS LAST")}";
}

/// <summary>
/// <c>[MergeOrder]</c>'s text, read as an ORDER BY list of result columns (<c>created_at DESC, id</c>; each key
/// <c>column [COLLATE "name"] [ASC | DESC] [NULLS FIRST | NULLS LAST]</c>); shared by the generator, which reports what
/// it cannot read, and the runtime.
/// </summary>
internal static class MergeOrder
{
    /// <summary>The keys, or null with <paramref name="error"/> saying what is wrong.</summary>
    public static MergeKey[]? Parse(string text, out string? error)
    {
        error = null;
        var keys = new List<MergeKey>();
        foreach (string item in text.Split(','))
        {
            string[] words = item.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0)
            {
                error = "a key is empty";
                return null;
            }

            string column = words[0];
            if (!IsIdentifier(column))
            {
                error = $"'{column}' is not a column name";
                return null;
            }

            int i = 1;
            string? collation = null;
            if (i < words.Length && Is(words[i], "COLLATE"))
            {
                if (i + 1 >= words.Length || words[i + 1].Length < 2 || words[i + 1][0] != '"' || words[i + 1][words[i + 1].Length - 1] != '"')
                {
                    error = $"COLLATE of '{column}' must name a collation in double quotes (COLLATE \"C\")";
                    return null;
                }

                collation = words[i + 1].Substring(1, words[i + 1].Length - 2);
                i += 2;
            }

            bool descending = false;
            if (i < words.Length && (Is(words[i], "ASC") || Is(words[i], "DESC")))
            {
                descending = Is(words[i], "DESC");
                i++;
            }

            bool nullsFirst = descending; // PostgreSQL's defaults
            if (i + 1 < words.Length && Is(words[i], "NULLS") && (Is(words[i + 1], "FIRST") || Is(words[i + 1], "LAST")))
            {
                nullsFirst = Is(words[i + 1], "FIRST");
                i += 2;
            }

            if (i < words.Length)
            {
                error = $"'{words[i]}' after '{column}' is not ASC, DESC, NULLS FIRST, NULLS LAST or COLLATE \"...\"";
                return null;
            }

            if (keys.Exists(k => string.Equals(k.Column, column, StringComparison.OrdinalIgnoreCase)))
            {
                error = $"'{column}' is given twice";
                return null;
            }

            keys.Add(new MergeKey(column, descending, nullsFirst, collation));
        }

        return keys.ToArray();
    }

    /// <summary>Whether a declared collation orders text by its UTF-8 bytes, as a merge can reproduce exactly.</summary>
    public static bool IsByteOrder(string collation) => collation is "C" or "POSIX" or "ucs_basic";

    private static bool Is(string word, string keyword) => string.Equals(word, keyword, StringComparison.OrdinalIgnoreCase);

    private static bool IsIdentifier(string word)
    {
        if (word.Length == 0 || !(char.IsLetter(word[0]) || word[0] == '_'))
        {
            return false;
        }

        foreach (char c in word)
        {
            if (!(char.IsLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }
}

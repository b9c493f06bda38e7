namespace PlProxy.Client.Tool.Resharding;

/// <summary>What <see cref="CopyDiff"/> found for one table of one copy: rows compared, and those missing, extra or different, with a few of their keys.</summary>
internal sealed class TableDiff(string table)
{
    public string Table { get; } = table;

    /// <summary>The moving rows read on the source.</summary>
    public long Rows { get; set; }

    /// <summary>Rows of the source the copy lacks.</summary>
    public long Missing { get; set; }

    /// <summary>Rows of the copy the source does not have.</summary>
    public long Extra { get; set; }

    /// <summary>Rows on both sides whose contents differ.</summary>
    public long Different { get; set; }

    public List<string> MissingKeys { get; } = [];

    public List<string> ExtraKeys { get; } = [];

    public List<string> DifferentKeys { get; } = [];

    public TimeSpan Elapsed { get; set; }

    public bool Equal => Missing == 0 && Extra == 0 && Different == 0;

    /// <summary>The difference in a sentence, naming a few keys of each kind.</summary>
    public string Describe(string copy) =>
        $"{Table} on {copy}: {Missing} missing{Keys(MissingKeys)}, {Extra} extra{Keys(ExtraKeys)}, {Different} different{Keys(DifferentKeys)} of {Rows} rows";

    private static string Keys(List<string> keys) => keys.Count == 0 ? "" : $" (keys {string.Join(", ", keys)})";
}

namespace PlProxy.Client.Language;

/// <summary>
/// The words and characters of a PL/Proxy body as PL/Proxy's scanner classifies them: its statement keywords,
/// white space, and which characters start or continue an identifier or a dollar-quote tag.
/// </summary>
internal static class Lexicon
{
    public static Keyword KeywordOf(string identifier) => identifier.ToUpperInvariant() switch
    {
        "CLUSTER" => Keyword.Cluster,
        "CONNECT" => Keyword.Connect,
        "RUN" => Keyword.Run,
        "ON" => Keyword.On,
        "ALL" => Keyword.All,
        "ANY" => Keyword.Any,
        "SPLIT" => Keyword.Split,
        "TARGET" => Keyword.Target,
        "SELECT" => Keyword.Select,
        _ => Keyword.None,
    };

    public static bool IsSpace(char c) => c == ' ' || c == '\t' || c == '\n' || c == '\r';

    public static bool IsDigit(char c) => c >= '0' && c <= '9';

    // PL/Proxy's scanner reads bytes: every byte of a multi-byte UTF-8 character counts as a letter.
    public static bool IsWordStart(char c) => c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= '\u0080';

    public static bool IsWordPart(char c) => IsWordStart(c) || IsDigit(c);

    public static bool IsDollarTagStart(char c) => c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= '\u0080';

    public static bool IsDollarTagPart(char c) => IsDollarTagStart(c) || IsDigit(c);
}

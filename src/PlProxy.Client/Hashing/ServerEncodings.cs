namespace PlProxy.Client.Hashing;

/// <summary>
/// PostgreSQL's server encodings, as they matter to a text hash: <c>hashtext</c> hashes a text's bytes in its
/// database's encoding. Under <c>UTF8</c>, and under <c>SQL_ASCII</c> (which keeps the UTF-8 bytes a client such as
/// Npgsql sends), those are the bytes <see cref="PgHash.HashText"/> hashes; every other server encoding agrees with
/// UTF-8 on ASCII text only.
/// </summary>
internal static class ServerEncodings
{
    /// <summary>The encoding a database gets unless it says otherwise.</summary>
    public const string Utf8 = "UTF8";

    // Every encoding a PostgreSQL 15 database can have (the client-only ones, such as SJIS and BIG5, cannot be).
    private static readonly HashSet<string> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        "SQL_ASCII", "UTF8", "MULE_INTERNAL", "EUC_JP", "EUC_CN", "EUC_KR", "EUC_TW", "EUC_JIS_2004",
        "LATIN1", "LATIN2", "LATIN3", "LATIN4", "LATIN5", "LATIN6", "LATIN7", "LATIN8", "LATIN9", "LATIN10",
        "ISO_8859_5", "ISO_8859_6", "ISO_8859_7", "ISO_8859_8", "KOI8R", "KOI8U", "WIN866", "WIN874",
        "WIN1250", "WIN1251", "WIN1252", "WIN1253", "WIN1254", "WIN1255", "WIN1256", "WIN1257", "WIN1258",
    };

    /// <summary>Whether <paramref name="name"/> is a server encoding's name (as <c>server_encoding</c> reports it, in any case).</summary>
    public static bool IsServerEncoding(string? name) => name is not null && Names.Contains(name);

    /// <summary>Whether text hashes alike in databases of encodings <paramref name="one"/> and <paramref name="other"/>.</summary>
    public static bool HashTextAlike(string one, string other) =>
        string.Equals(OtherThanUtf8(one), OtherThanUtf8(other), StringComparison.Ordinal);

    /// <summary>
    /// The encoding, in PostgreSQL's spelling, when text hashes in it differently from UTF-8 (non-ASCII text only);
    /// null for <c>UTF8</c> and <c>SQL_ASCII</c>.
    /// </summary>
    public static string? OtherThanUtf8(string name) =>
        string.Equals(name, Utf8, StringComparison.OrdinalIgnoreCase) || string.Equals(name, "SQL_ASCII", StringComparison.OrdinalIgnoreCase)
            ? null
            : name.ToUpperInvariant();
}

using PlProxy.Client.Hashing;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>
/// The databases of a split or move hash text keys as the cluster's clients do: partconf's <c>hashtext</c> hashes a
/// key's bytes in its database's encoding, and each database keeps the rows that hash says are its own. A database
/// whose encoding hashes non-ASCII text otherwise (a <c>LATIN1</c> one in a cluster whose clients hash UTF-8) would keep
/// such rows where no client looks for them, and its source would delete them as moved; so, when a partitioned table's
/// key is hashed as text, the operation is refused before anything changes.
/// </summary>
/// <param name="verb">The operation, for messages.</param>
/// <param name="clients">The encoding the cluster's clients hash text as (its proxy database's).</param>
internal sealed class TextHashEncodings(string verb, string clients)
{
    private readonly List<(string Database, string Encoding)> _unlike = [];

    /// <summary>Notes a database's <c>server_encoding</c>.</summary>
    public void Note(string database, string encoding)
    {
        if (!ServerEncodings.HashTextAlike(encoding, clients))
        {
            _unlike.Add((database, encoding));
        }
    }

    /// <summary>Refuses the operation when a database noted hashes text unlike the clients and a table's key is hashed as text.</summary>
    /// <exception cref="ToolRefusal">Such a database was noted, and <paramref name="textKeys"/>.</exception>
    public void Check(bool textKeys)
    {
        if (textKeys && _unlike.Count > 0)
        {
            throw new ToolRefusal($"{string.Join(", ", _unlike.Select(d => $"{d.Database} has encoding {d.Encoding}"))}, but the cluster's clients hash text as {clients} (its proxy database's encoding): partconf there would hash text keys with non-ASCII characters differently, and the {verb} would keep such rows on other partitions than clients look for them on. Give every database of the cluster the encoding {clients} (create database ... encoding '{clients}' template template0). Nothing was changed.");
        }
    }
}

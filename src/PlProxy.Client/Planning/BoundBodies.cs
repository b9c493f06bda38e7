using System.Collections.Concurrent;

namespace PlProxy.Client.Planning;

/// <summary>
/// The bindings of bodies given as text at run time (<c>PlProxyCommand</c>), keyed by everything the binding depends
/// on and bounded: bodies made up per call must not grow the cache for the data source's life.
/// </summary>
internal sealed class BoundBodies
{
    /// <summary>How many bindings are kept; past that the cache starts again from empty.</summary>
    public const int Capacity = 1024;

    private readonly ConcurrentDictionary<string, RemoteCall> _calls = new(StringComparer.Ordinal);

    /// <summary>The number of bindings kept now.</summary>
    public int Count => _calls.Count;

    /// <exception cref="ArgumentException">The body does not bind (its message is the language's).</exception>
    public RemoteCall Get(string function, string body, (string Name, string PgType)[] parameters, bool returnsSet, string? resultPgType, bool isVoid)
    {
        string key = $"{function}\u0001{body}\u0001{string.Join(",", parameters)}\u0001{returnsSet}{resultPgType}{isVoid}";
        if (_calls.Count >= Capacity && !_calls.ContainsKey(key))
        {
            _calls.Clear();
        }

        return _calls.GetOrAdd(key, _ =>
        {
            try
            {
                return RemoteCall.Bind(function, null, body, false, parameters, returnsSet, resultPgType, isVoid, [], idempotent: false);
            }
            catch (InvalidOperationException e)
            {
                throw new ArgumentException(e.Message, "command");
            }
        });
    }
}

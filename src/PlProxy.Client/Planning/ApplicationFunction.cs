using PlProxy.Client.Language;

namespace PlProxy.Client.Planning;

/// <summary>A function bodies may call (a hash, cluster or connect function), implemented by the application.</summary>
/// <param name="Definition">Its name and PostgreSQL types.</param>
/// <param name="Invoke">Calls it: arguments as .NET values, result as a .NET value (an <see cref="System.Collections.IEnumerable"/> for a set).</param>
internal sealed record ApplicationFunction(UserFunction Definition, Func<object?[], object?> Invoke);

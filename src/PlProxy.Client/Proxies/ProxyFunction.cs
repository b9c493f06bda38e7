using System.ComponentModel;
using PlProxy.Client.Language;
using PlProxy.Client.Planning;

namespace PlProxy.Client.Proxies;

/// <summary>A function bodies may call in RUN ON, CLUSTER or CONNECT, implemented by a static method of the interface.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ProxyFunction
{
    /// <summary>Describes a function.</summary>
    /// <param name="name">The name bodies call it by.</param>
    /// <param name="parameterTypes">The PostgreSQL types of its arguments.</param>
    /// <param name="resultType">The PostgreSQL type of its result (of each element, for a set).</param>
    /// <param name="returnsSet">True when it returns several values.</param>
    /// <param name="invoke">Calls it: arguments as .NET values, result as a .NET value (an <see cref="System.Collections.IEnumerable"/> for a set).</param>
    public ProxyFunction(string name, string[] parameterTypes, string resultType, bool returnsSet, Func<object?[], object?> invoke)
    {
        Function = new ApplicationFunction(new UserFunction(name, new EquatableArray<PgType>([.. parameterTypes.Select(PgType.Parse)]), PgType.Parse(resultType), returnsSet), invoke);
    }

    internal ApplicationFunction Function { get; }
}

using System.ComponentModel;
using PlProxy.Client.Language;
using PlProxy.Client.Planning;

namespace PlProxy.Client.Proxies;

/// <summary>A function bodies may call in RUN ON, CLUSTER or CONNECT, implemented by a static method of the interface.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ProxyFunction
{
    private ProxyFunction(ApplicationFunction function) => Function = function;

    /// <summary>Describes a function.</summary>
    /// <param name="info">The function as the generator describes it.</param>
    /// <returns>The function, ready for the interface's methods.</returns>
    /// <exception cref="ArgumentException">The description names no function, result type or implementation.</exception>
    public static ProxyFunction Create(ProxyFunctionInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentException.ThrowIfNullOrEmpty(info.Name, nameof(info));
        ArgumentException.ThrowIfNullOrEmpty(info.ResultType, nameof(info));
        Func<object?[], object?> invoke = info.Invoke ?? throw new ArgumentException("The function has no implementation (Invoke).", nameof(info));
        return new(new ApplicationFunction(new UserFunction(info.Name, new EquatableArray<PgType>([.. info.ParameterTypes.Select(PgType.Parse)]), PgType.Parse(info.ResultType), info.ReturnsSet), invoke));
    }

    internal ApplicationFunction Function { get; }
}

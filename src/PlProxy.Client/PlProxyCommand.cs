using PlProxy.Client.Execution;

namespace PlProxy.Client;

/// <summary>
/// A call of a body given as text, for scripts and dynamic use (generated proxies are the typed way):
/// the remote function, the PL/Proxy body and the named arguments.
/// </summary>
/// <remarks>
/// The data source binds each distinct body once and keeps up to 1,024 of them; past that it forgets them all and
/// binds again as they come, so bodies built per call (rather than with arguments) cost a bind each but no memory.
/// </remarks>
/// <param name="function">The remote function name (TARGET or SELECT in the body override it).</param>
/// <param name="body">The PL/Proxy body: CLUSTER, RUN ON ... as in a <c>LANGUAGE plproxy</c> function.</param>
public sealed class PlProxyCommand(string function, string body)
{
    private readonly List<(string Name, object? Value, string PgType)> _arguments = [];

    /// <summary>The remote function name.</summary>
    public string Function { get; } = string.IsNullOrWhiteSpace(function) ? throw new ArgumentException("The function name is empty.", nameof(function))
        : Language.SqlNames.IsFunctionName(function) ? function
        : throw new ArgumentException(Language.SqlNames.NotAFunctionName(function), nameof(function));

    /// <summary>The PL/Proxy body.</summary>
    public string Body { get; } = body ?? throw new ArgumentNullException(nameof(body));

    /// <summary>Adds the next argument.</summary>
    /// <typeparam name="T">The .NET type, which gives the PostgreSQL type unless <paramref name="pgType"/> does.</typeparam>
    /// <param name="name">The name the body refers to it by.</param>
    /// <param name="value">The value (null for SQL NULL).</param>
    /// <param name="pgType">The PostgreSQL type, when the .NET type does not say it (<c>varchar</c>, an enum ...).</param>
    /// <returns>This command.</returns>
    /// <exception cref="ArgumentException">The .NET type has no PostgreSQL type and none was given; <paramref name="pgType"/>
    /// is not a type name; an argument of this name was added already.</exception>
    public PlProxyCommand Add<T>(string name, T? value, string? pgType = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (_arguments.Exists(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase)))
        {
            throw new ArgumentException($"An argument named '{name}' was added already: the body could not tell which one it refers to.", nameof(name));
        }

        if (pgType is not null && !Language.SqlNames.IsTypeName(pgType))
        {
            throw new ArgumentException(Language.SqlNames.NotATypeName(pgType), nameof(pgType));
        }

        _arguments.Add((name, value, pgType ?? PgTypeNames.Of(typeof(T))));
        return this;
    }

    internal (string Name, string PgType)[] Parameters() => [.. _arguments.Select(a => (a.Name, a.PgType))];

    internal object?[] Values() => [.. _arguments.Select(a => a.Value)];
}

namespace PlProxy.Client.Language;

/// <summary>One argument of a proxy function.</summary>
/// <param name="Name">The argument name as the body refers to it (empty for an unnamed argument, reachable only as <c>$n</c>).</param>
/// <param name="Type">The PostgreSQL type.</param>
internal sealed record ParameterSignature(string Name, PgType Type);

/// <summary>What a body is bound to: the proxy function's name, arguments and whether it returns a set.</summary>
/// <param name="Name">The function name (the remote function's, unless TARGET or SELECT says otherwise).</param>
/// <param name="Parameters">The arguments in order; <c>$1</c> is the first.</param>
/// <param name="ReturnsSet">True for a set-returning function (SETOF, TABLE, a list or stream of rows).</param>
internal sealed record FunctionSignature(string Name, EquatableArray<ParameterSignature> Parameters, bool ReturnsSet)
{
    /// <summary>
    /// The index of the argument <paramref name="reference"/> names: <c>$n</c> by position, otherwise by name,
    /// compared case-insensitively as PL/Proxy does. -1 when there is none.
    /// </summary>
    public int IndexOf(string reference)
    {
        if (reference.Length > 1 && reference[0] == '$')
        {
            return int.TryParse(reference.Substring(1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int number)
                && number >= 1 && number <= Parameters.Count
                ? number - 1
                : -1;
        }

        for (int i = 0; i < Parameters.Count; i++)
        {
            if (Parameters[i].Name.Length > 0 && string.Equals(Parameters[i].Name, reference, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>A function the application supplies for RUN ON, CLUSTER or CONNECT (a <c>[HashFunction]</c> method or a run-time registration).</summary>
/// <param name="Name">The name bodies call it by (compared case-insensitively).</param>
/// <param name="Parameters">Its argument types.</param>
/// <param name="Result">Its result type (int2/int4/int8 for hashes, text for cluster names and connection strings).</param>
/// <param name="ReturnsSet">True when it returns several values (a set-returning hash).</param>
internal sealed record UserFunction(string Name, EquatableArray<PgType> Parameters, PgType Result, bool ReturnsSet);

/// <summary>Finds user functions by name for the binder.</summary>
internal interface IFunctionCatalog
{
    /// <summary>The function called <paramref name="name"/>, or null.</summary>
    UserFunction? Find(string name);
}

/// <summary>A catalog over a fixed list of functions.</summary>
internal sealed class FunctionCatalog : IFunctionCatalog
{
    public static readonly FunctionCatalog Empty = new(System.Array.Empty<UserFunction>());

    private readonly UserFunction[] _functions;

    public FunctionCatalog(UserFunction[] functions) => _functions = functions;

    public UserFunction? Find(string name)
    {
        foreach (UserFunction function in _functions)
        {
            if (string.Equals(function.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return function;
            }
        }

        return null;
    }
}

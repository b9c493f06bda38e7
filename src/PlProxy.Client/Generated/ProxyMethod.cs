using System.ComponentModel;
using System.Text;
using PlProxy.Client.Execution;
using PlProxy.Client.Language;

namespace PlProxy.Client.Generated;

/// <summary>One parameter of a proxy method: its name as bodies refer to it and the PostgreSQL type it is sent as.</summary>
/// <param name="Name">The parameter name.</param>
/// <param name="PgType">The PostgreSQL type name (<c>text</c>, <c>int4[]</c> ...).</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct ProxyParameter(string Name, string PgType);

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
        Definition = new UserFunction(name, new EquatableArray<PgType>([.. parameterTypes.Select(PgType.Parse)]), PgType.Parse(resultType), returnsSet);
        Invoke = invoke;
    }

    internal UserFunction Definition { get; }

    internal Func<object?[], object?> Invoke { get; }
}

/// <summary>
/// A proxy method as the source generator describes it: its bodies, parameters and result, bound once with the
/// same parser and binder the generator validated them with. Generated code keeps one in a static field.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ProxyMethod
{
    // Types Npgsql writes natively. A parameter of another type (an enum, a domain, citext ...) goes without a
    // declared type and is cast in the SQL text ($1::mood), so PostgreSQL converts it from the value Npgsql sends.
    private static readonly HashSet<string> WireTypes = new(StringComparer.Ordinal)
    {
        "text", "varchar", "int2", "int4", "int8", "bool", "numeric", "float4", "float8", "uuid", "timestamptz", "timestamp",
        "date", "time", "interval", "bytea", "json", "jsonb",
    };

    private ProxyMethod(string displayName, BoundFunction function, string sql, int[] parameterOrder, string[] parameterTypes, ProxyFunction[] functions, bool idempotent)
    {
        DisplayName = displayName;
        Idempotent = idempotent;
        Function = function;
        Sql = sql;
        ParameterOrder = parameterOrder;
        ParameterTypes = parameterTypes;
        ParameterWireTypes = [.. parameterTypes.Select(t => WireTypes.Contains(t.EndsWith("[]", StringComparison.Ordinal) ? t[..^2] : t) ? t : null)];
        Functions = functions.Length == 0 ? null : new UserFunctions(functions);
        ParameterNames = [.. function.Signature.Parameters.Select(p => p.Name)];
    }

    /// <summary>The remote function and argument count as PL/Proxy names it in errors: <c>get_balance(1)</c>.</summary>
    public string DisplayName { get; }

    internal BoundFunction Function { get; }

    /// <summary>The SQL sent to the partitions, built once.</summary>
    internal string Sql { get; }

    /// <summary>For each placeholder <c>$k</c> of <see cref="Sql"/>, the index of the argument it carries.</summary>
    internal int[] ParameterOrder { get; }

    /// <summary>The PostgreSQL type of each argument, as declared.</summary>
    internal string[] ParameterTypes { get; }

    /// <summary>The type each argument is declared as to Npgsql, or null to let Npgsql infer it from the value.</summary>
    internal string?[] ParameterWireTypes { get; }

    /// <summary>The remote function's argument names, in parameter order.</summary>
    internal string[] ParameterNames { get; }

    internal IUserFunctionsAdapter? Functions { get; }

    /// <summary>True when the method may run more than once (<c>[Idempotent]</c>): retried after any transient failure.</summary>
    internal bool Idempotent { get; }

    /// <summary>Binds a method's body and builds its remote query.</summary>
    /// <param name="functionName">The remote function name: TARGET's, else the method's in snake_case.</param>
    /// <param name="interfaceBody">The interface-level body, or null.</param>
    /// <param name="body">The method's body.</param>
    /// <param name="replacesInterfaceStatements">Whether the method's statements replace the interface's.</param>
    /// <param name="parameters">The arguments.</param>
    /// <param name="returnsSet">True for a list or stream of rows.</param>
    /// <param name="resultPgType">The PostgreSQL type of a scalar result; null for a composite (columns by name) or void result.</param>
    /// <param name="isVoid">True when the method returns nothing.</param>
    /// <param name="functions">The interface's hash, cluster and connect functions.</param>
    /// <param name="idempotent">True for an <c>[Idempotent]</c> method.</param>
    /// <returns>The bound method.</returns>
    /// <exception cref="InvalidOperationException">A body does not bind (the generator reports this at compile time, so it means a mismatched generator).</exception>
    public static ProxyMethod Create(
        string functionName,
        string? interfaceBody,
        string body,
        bool replacesInterfaceStatements,
        ProxyParameter[] parameters,
        bool returnsSet,
        string? resultPgType,
        bool isVoid,
        ProxyFunction[] functions,
        bool idempotent = false)
    {
        var signature = new FunctionSignature(
            functionName,
            new EquatableArray<ParameterSignature>([.. parameters.Select(p => new ParameterSignature(p.Name, PgType.Parse(p.PgType)))]),
            returnsSet);
        var catalog = new FunctionCatalog([.. functions.Select(f => f.Definition)]);
        BindResult result = Binder.Bind(interfaceBody is null ? null : Parser.Parse(interfaceBody), Parser.Parse(body), replacesInterfaceStatements, signature, catalog);
        if (!result.Succeeded)
        {
            const int Shown = 10; // a message, not a listing: a body of garbage could produce a hundred
            int more = result.Diagnostics.Count - Shown;
            throw new InvalidOperationException(
                $"The PL/Proxy body of {functionName} does not bind: {string.Join("; ", result.Diagnostics.Take(Shown).Select(d => $"{d.Id} {d}"))}{(more > 0 ? $"; and {more} more" : "")}");
        }

        BoundFunction function = result.Function!;
        string remoteName = function.Target ?? functionName;
        string[] types = [.. parameters.Select(p => p.PgType)];
        string sql;
        int[] order;
        if (function.Select is { } select)
        {
            sql = select.Sql;
            order = select.ParameterIndexes.ToArray();
        }
        else
        {
            order = [.. Enumerable.Range(0, parameters.Length)];
            var arguments = new StringBuilder();
            for (int i = 0; i < parameters.Length; i++)
            {
                arguments.Append(i == 0 ? "" : ", ").Append('$').Append(i + 1).Append("::").Append(parameters[i].PgType);
            }

            // PL/Proxy's default query: the function's own result, cast to the proxy's type; columns by name for a
            // composite. A single scalar is called in the select list (same rows, NULL included, and the server can
            // inline a SQL function there instead of materialising a function scan).
            sql = isVoid ? $"select {remoteName}({arguments})"
                : resultPgType is null ? $"select * from {remoteName}({arguments})"
                : returnsSet ? $"select r::{resultPgType} from {remoteName}({arguments}) r"
                : $"select {remoteName}({arguments})::{resultPgType} as r";
        }

        return new ProxyMethod($"{functionName}({parameters.Length})", function, sql, order, types, functions, idempotent);
    }
}

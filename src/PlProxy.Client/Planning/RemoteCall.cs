using PlProxy.Client.Language;

namespace PlProxy.Client.Planning;

/// <summary>
/// A proxy function ready to run: its bound body, the SQL it sends and how its arguments fill that SQL. Built once
/// per method (generated code keeps it in a static field) or per distinct body given as text.
/// </summary>
internal sealed class RemoteCall
{
    private RemoteCall(BoundFunction function, string[] parameterTypes, string? resultPgType, bool isVoid, UserFunctions? functions, bool idempotent, bool coalesced, bool readFromStandby, MergeKey[]? mergeOrder, int limitArgument)
    {
        MergeOrder = mergeOrder;
        LimitArgument = limitArgument;
        Coalesced = coalesced;
        ReadFromStandby = readFromStandby;
        Function = function;
        DisplayName = $"{function.Signature.Name}({parameterTypes.Length})";
        (Sql, ParameterOrder) = RemoteQuery.Of(function, parameterTypes, resultPgType, isVoid);
        ParameterTypes = parameterTypes;
        // A parameter of a type Npgsql does not write natively (an enum, a domain, citext ...) goes without a declared
        // type and is cast in the SQL text ($1::mood), so PostgreSQL converts it from the value Npgsql sends.
        ParameterWireTypes = [.. parameterTypes.Select(ClrTypeMap.WireType)];
        ParameterNames = [.. function.Signature.Parameters.Select(p => p.Name)];
        Functions = functions;
        Idempotent = idempotent;
    }

    /// <summary>The function and argument count as PL/Proxy names it in errors: <c>get_balance(1)</c>.</summary>
    public string DisplayName { get; }

    /// <summary>The function's name (the proxy's, not TARGET's): the name in errors, logs and traces.</summary>
    public string Name => Function.Signature.Name;

    /// <summary>Where this call's errors arise, in the given cluster once it is known.</summary>
    public CallErrorContext Errors(string? cluster = null) => new(DisplayName, Name, cluster);

    public BoundFunction Function { get; }

    /// <summary>The SQL sent to the partitions.</summary>
    public string Sql { get; }

    /// <summary>For each placeholder <c>$k</c> of <see cref="Sql"/>, the index of the argument it carries.</summary>
    public int[] ParameterOrder { get; }

    /// <summary>The PostgreSQL type of each argument, as declared.</summary>
    public string[] ParameterTypes { get; }

    /// <summary>The type each argument is declared as to Npgsql, or null to let Npgsql infer it from the value.</summary>
    public string?[] ParameterWireTypes { get; }

    /// <summary>The remote function's argument names, in parameter order.</summary>
    public string[] ParameterNames { get; }

    /// <summary>The interface's hash, cluster and connect functions, or null when it has none.</summary>
    public IUserFunctions? Functions { get; }

    /// <summary>True when the call may run more than once (<c>[Idempotent]</c>): retried after any transient failure.</summary>
    public bool Idempotent { get; }

    /// <summary>
    /// True when the call may share a round trip with other calls that wait for the same partition's connections
    /// (false for a <c>[NotCoalesced]</c> method).
    /// </summary>
    public bool Coalesced { get; }

    /// <summary>True when the call only reads and may be served by a fresh standby (<c>[ReadFromStandby]</c>).</summary>
    public bool ReadFromStandby { get; }

    /// <summary>The order the partitions' rows are merged in (<c>[MergeOrder]</c>), or null: rows as they come.</summary>
    public MergeKey[]? MergeOrder { get; }

    /// <summary>The argument (index) that bounds a merged call's rows in total (<c>[Limit]</c>), or -1.</summary>
    public int LimitArgument { get; }

    private double _statementMilliseconds;

    /// <summary>
    /// How long this function's calls have taken on a connection of their own, from sending the statement to its last
    /// row (a moving average); 0 before the first measurement. A shared round trip cannot tell: PostgreSQL sends its
    /// results together at its end. A function that runs long waits for a connection of its own rather than hold up
    /// the calls sharing its round trip.
    /// </summary>
    public double StatementMilliseconds => Volatile.Read(ref _statementMilliseconds);

    /// <summary>Adds one statement's duration to <see cref="StatementMilliseconds"/>.</summary>
    public void RecordStatement(double milliseconds)
    {
        double average = Volatile.Read(ref _statementMilliseconds);
        Volatile.Write(ref _statementMilliseconds, average == 0 ? milliseconds : (average * 0.8) + (milliseconds * 0.2)); // a lost update among racing callers only drops one sample
    }

    /// <summary>Binds a body (with its interface's) and builds the remote query.</summary>
    /// <param name="functionName">The proxy function's name: the method's in snake_case, or the text command's.</param>
    /// <param name="interfaceBody">The interface-level body, or null.</param>
    /// <param name="body">The method's body.</param>
    /// <param name="replacesInterfaceStatements">Whether the method's statements replace the interface's.</param>
    /// <param name="parameters">The arguments' names and PostgreSQL types.</param>
    /// <param name="returnsSet">True for a list or stream of rows.</param>
    /// <param name="resultPgType">The PostgreSQL type of a scalar result; null for a composite or void result.</param>
    /// <param name="isVoid">True when the call returns nothing.</param>
    /// <param name="functions">The functions bodies may call.</param>
    /// <param name="idempotent">True for an <c>[Idempotent]</c> method.</param>
    /// <param name="coalesced">False for a <c>[NotCoalesced]</c> method.</param>
    /// <param name="readFromStandby">True for a <c>[ReadFromStandby]</c> method.</param>
    /// <param name="mergeOrder">The order a <c>[MergeOrder]</c> method's rows are merged in, or null.</param>
    /// <param name="limitArgument">The index of a <c>[Limit]</c> argument, or -1.</param>
    /// <exception cref="InvalidOperationException">A body does not bind, or a function or type name is not one.</exception>
    public static RemoteCall Bind(
        string functionName,
        string? interfaceBody,
        string body,
        bool replacesInterfaceStatements,
        IReadOnlyList<(string Name, string PgType)> parameters,
        bool returnsSet,
        string? resultPgType,
        bool isVoid,
        IReadOnlyList<ApplicationFunction> functions,
        bool idempotent,
        bool coalesced = true,
        bool readFromStandby = false,
        MergeKey[]? mergeOrder = null,
        int limitArgument = -1)
    {
        // Names that go into the SQL text are names, not SQL: checked here, where every proxy method and command binds.
        if (!SqlNames.IsFunctionName(functionName))
        {
            throw new InvalidOperationException(SqlNames.NotAFunctionName(functionName));
        }

        foreach (string type in parameters.Select(p => p.PgType).Append(resultPgType ?? "void"))
        {
            if (!SqlNames.IsTypeName(type))
            {
                throw new InvalidOperationException($"The PL/Proxy function {functionName}: {SqlNames.NotATypeName(type)}");
            }
        }

        // A body names arguments without case, as PostgreSQL does: of two that differ only in case it would take the first.
        if (parameters.Where(p => p.Name.Length > 0).GroupBy(p => p.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Skip(1).Any()) is { } twice)
        {
            throw new InvalidOperationException($"The PL/Proxy function {functionName} has two arguments named '{twice.Key}' (names compare without case, as PostgreSQL's do): a body could not tell which one it refers to.");
        }

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

        // Each argument and the result are cast to their types as PostgreSQL keeps them in a signature: without a
        // modifier, which would cut or round the values PL/Proxy sends whole (varchar(5) is varchar).
        return new RemoteCall(
            result.Function!,
            [.. parameters.Select(p => PgType.WithoutModifier(p.PgType))],
            resultPgType is null ? null : PgType.WithoutModifier(resultPgType),
            isVoid,
            functions.Count == 0 ? null : new UserFunctions([.. functions]),
            idempotent,
            coalesced,
            readFromStandby,
            mergeOrder,
            limitArgument);
    }
}

using System.Collections.Generic;
using System.Text;

namespace PlProxy.Client.Language;

/// <summary>
/// Binds a parsed body to its function: merges the interface-level statements, checks the statement
/// combinations PL/Proxy checks, resolves argument references, types the RUN ON / CLUSTER / CONNECT expressions
/// and rewrites SELECT with parameters. Never throws: problems come back as diagnostics.
/// </summary>
/// <remarks>
/// <para>Merging: every statement of the interface body applies to every method, unless the method gives the same
/// kind of statement. Giving it at both levels is an error (PLPX2011), unless the method says it replaces the
/// interface's statements; then the method's statement wins, and a method's CONNECT also drops the interface's
/// CLUSTER and RUN.</para>
/// <para>Stricter than PL/Proxy: a name in RUN ON, CLUSTER or CONNECT that is no argument is an error here
/// (PL/Proxy would send it to the proxy database as a column name and fail on every call).</para>
/// </remarks>
internal sealed class Binder
{
    /// <summary>How deeply an expression in RUN ON, CLUSTER or CONNECT may nest (<see cref="DiagnosticIds.ExpressionTooDeep"/>).</summary>
    public const int MaxExpressionDepth = 100;

    private readonly FunctionSignature _signature;
    private readonly IFunctionCatalog _catalog;
    private readonly List<BodyDiagnostic> _diagnostics = new();
    private readonly HashSet<int> _split = new();
    private readonly HashSet<StatementSyntax> _interfaceStatements = new(ReferenceComparer.Instance);
    private StatementSyntax? _current;

    internal FunctionSignature Signature => _signature;

    internal IFunctionCatalog Catalog => _catalog;

    private Binder(FunctionSignature signature, IFunctionCatalog catalog)
    {
        _signature = signature;
        _catalog = catalog;
    }

    /// <summary>Binds a method body on its own (no interface-level statements).</summary>
    public static BindResult Bind(BodySyntax body, FunctionSignature signature, IFunctionCatalog? catalog = null) =>
        Bind(null, body, methodReplacesInterface: false, signature, catalog);

    /// <summary>Binds a method body merged with its interface's body.</summary>
    /// <param name="interfaceBody">The statements shared by every method, or null.</param>
    /// <param name="methodBody">The method's own statements.</param>
    /// <param name="methodReplacesInterface">True when the method's statements replace the interface's of the same kind.</param>
    /// <param name="signature">The function.</param>
    /// <param name="catalog">User functions for RUN ON, CLUSTER and CONNECT.</param>
    public static BindResult Bind(BodySyntax? interfaceBody, BodySyntax methodBody, bool methodReplacesInterface, FunctionSignature signature, IFunctionCatalog? catalog)
    {
        var binder = new Binder(signature, catalog ?? FunctionCatalog.Empty);
        BoundFunction? function = binder.BindMerged(interfaceBody, methodBody, methodReplacesInterface);
        return new BindResult(binder._diagnostics.Count == 0 ? function : null, new EquatableArray<BodyDiagnostic>(binder._diagnostics.ToArray()));
    }

    private BoundFunction? BindMerged(BodySyntax? interfaceBody, BodySyntax methodBody, bool replace)
    {
        // Syntax errors of the method body are reported with its binding; the interface body's are reported once, at the interface.
        _diagnostics.AddRange(methodBody.Diagnostics);

        var statements = new Dictionary<StatementKind, StatementSyntax>();
        foreach (StatementSyntax statement in methodBody.Statements)
        {
            statements[statement.Kind] = statement;
        }

        if (interfaceBody is not null)
        {
            bool methodConnects = statements.ContainsKey(StatementKind.Connect);
            foreach (StatementSyntax shared in interfaceBody.Statements)
            {
                if (statements.TryGetValue(shared.Kind, out StatementSyntax? own))
                {
                    if (!replace)
                    {
                        Report(DiagnosticIds.StatementAtBothLevels,
                            $"{own.KeywordText} is given by the interface and by the method; remove one, or mark the method's body as replacing the interface's statements",
                            own.Span);
                    }

                    continue;
                }

                if (replace && methodConnects && shared.Kind is StatementKind.Cluster or StatementKind.Run)
                {
                    continue; // the method's CONNECT replaces the interface's cluster routing
                }

                statements[shared.Kind] = shared;
                _interfaceStatements.Add(shared);
            }
        }

        statements.TryGetValue(StatementKind.Cluster, out StatementSyntax? cluster);
        statements.TryGetValue(StatementKind.Connect, out StatementSyntax? connect);
        statements.TryGetValue(StatementKind.Run, out StatementSyntax? run);
        statements.TryGetValue(StatementKind.Split, out StatementSyntax? split);
        statements.TryGetValue(StatementKind.Target, out StatementSyntax? target);
        statements.TryGetValue(StatementKind.Select, out StatementSyntax? select);

        // The checks PL/Proxy makes once the whole body is read, in its order.
        if (connect is not null)
        {
            if (cluster is not null || run is not null)
            {
                Within(connect);
                Report(DiagnosticIds.ConnectWithClusterOrRun, "CONNECT cannot be used with CLUSTER/RUN", connect.Span);
            }
        }
        else if (cluster is null)
        {
            _current = null;
            Report(DiagnosticIds.ClusterMissing, "CLUSTER statement missing", methodBody.End);
        }

        if (select is not null && target is not null)
        {
            Within(target);
            Report(DiagnosticIds.TargetWithSelect, "TARGET cannot be used with SELECT", target.Span);
        }

        if (split is SplitSyntax splitSyntax)
        {
            Within(split);
            BindSplit(splitSyntax);
        }

        var runSyntax = run as RunSyntax;
        RunKind runKind = runSyntax?.RunKind ?? RunKind.Any;
        Within(run);
        if (runKind == RunKind.All && !_signature.ReturnsSet)
        {
            Report(DiagnosticIds.RunOnAllRequiresSet, "RUN ON ALL requires set-returning function", runSyntax!.Span);
        }

        BoundExpression? hash = runSyntax is null ? null : BindHash(runSyntax);

        LocationKind location = LocationKind.ClusterName;
        string? clusterName = null, connectString = null;
        BoundExpression? locationExpression = null;
        if (connect is ConnectSyntax connectSyntax)
        {
            Within(connect);
            (location, connectString, locationExpression) = BindConnect(connectSyntax);
        }
        else if (cluster is ClusterSyntax clusterSyntax)
        {
            if (clusterSyntax.Function is null)
            {
                clusterName = clusterSyntax.Name;
            }
            else
            {
                Within(cluster);
                location = LocationKind.ClusterFunction;
                locationExpression = BindTextCall(clusterSyntax.Function, "CLUSTER");
            }
        }

        Within(select);
        BoundQuery? query = select is SelectSyntax selectSyntax ? BindSelect(selectSyntax) : null;
        string? targetName = (target as TargetSyntax)?.Name.Name;

        int[] splitIndexes = new int[_split.Count];
        _split.CopyTo(splitIndexes);
        System.Array.Sort(splitIndexes);

        return new BoundFunction(
            _signature, location, clusterName, connectString, locationExpression,
            runKind, runSyntax?.Number ?? 0, hash,
            new EquatableArray<int>(splitIndexes), targetName, query);
    }

    private void BindSplit(SplitSyntax split)
    {
        if (split.All)
        {
            for (int i = 0; i < _signature.Parameters.Count; i++)
            {
                if (_signature.Parameters[i].Type.IsArray)
                {
                    _split.Add(i);
                }
            }

            return;
        }

        foreach (NameSyntax argument in split.Arguments)
        {
            int index = _signature.IndexOf(argument.Name);
            if (index < 0)
            {
                Report(DiagnosticIds.InvalidArgumentReference, $"invalid argument reference: {argument.Name}", argument.Span);
            }
            else if (!_split.Add(index))
            {
                Report(DiagnosticIds.SplitDuplicate, $"SPLIT parameter specified more than once: {argument.Name}", argument.Span);
            }
            else if (!_signature.Parameters[index].Type.IsArray)
            {
                Report(DiagnosticIds.SplitNotArray, $"SPLIT parameter is not an array: {argument.Name}", argument.Span);
            }
        }
    }

    private BoundExpression? BindHash(RunSyntax run)
    {
        BoundExpression? hash;
        SourceSpan span;
        switch (run.RunKind)
        {
            case RunKind.Argument:
                hash = BindArgument(run.Argument!.Value.Name, run.Argument.Value.Span);
                span = run.Argument.Value.Span;
                break;
            case RunKind.Function:
                hash = new ExpressionBinder(this, run.Function!).BindCall();
                span = run.Function!.NameSpan;
                break;
            default:
                return null;
        }

        if (hash is null)
        {
            return null;
        }

        if (!hash.Type.IsInteger)
        {
            Report(DiagnosticIds.HashTypeInvalid, $"Hash result must be int2, int4 or int8, but {Describe(run)} is {hash.Type}", span);
            return null;
        }

        if (hash is CallExpression { ReturnsSet: true } && !_signature.ReturnsSet)
        {
            Report(DiagnosticIds.SetHashRequiresSet, $"Only set-returning function allows hashcount <> 1: {run.Function!.Name} returns a set of hashes", span);
            return null;
        }

        return hash;
    }

    private (LocationKind, string?, BoundExpression?) BindConnect(ConnectSyntax connect)
    {
        if (connect.ConnectionString is not null)
        {
            return (LocationKind.ConnectString, connect.ConnectionString, null);
        }

        BoundExpression? expression;
        if (connect.Argument is { } argument)
        {
            expression = BindArgument(argument.Name, argument.Span);
            if (expression is not null && !expression.Type.IsTextual)
            {
                Report(DiagnosticIds.NameTypeInvalid, $"CONNECT argument {argument.Name} must be text, but it is {expression.Type}", argument.Span);
                expression = null;
            }
        }
        else
        {
            expression = BindTextCall(connect.Function!, "CONNECT");
        }

        return (LocationKind.ConnectExpression, null, expression);
    }

    private BoundExpression? BindTextCall(CallSyntax call, string statement)
    {
        BoundExpression? expression = new ExpressionBinder(this, call).BindCall();
        if (expression is null)
        {
            return null;
        }

        if (!expression.Type.IsTextual || expression is CallExpression { ReturnsSet: true })
        {
            Report(DiagnosticIds.NameTypeInvalid, $"{statement} function {call.Name} must return one text value, but it returns {(expression is CallExpression { ReturnsSet: true } ? "a set of " : "")}{expression.Type}", call.NameSpan);
            return null;
        }

        return expression;
    }

    internal BoundExpression? BindArgument(string reference, SourceSpan span)
    {
        int index = _signature.IndexOf(reference);
        if (index < 0)
        {
            Report(DiagnosticIds.InvalidArgumentReference, $"invalid argument reference: {reference}", span);
            return null;
        }

        bool isSplit = _split.Contains(index);
        PgType type = _signature.Parameters[index].Type;
        return new ArgumentExpression(index, reference, isSplit, isSplit ? type.Element : type);
    }

    // PL/Proxy's query rewriting: every bare identifier that names an argument (and every $n) becomes a typed
    // parameter; everything else, quoted identifiers, dotted names and literals included, passes unchanged.
    private BoundQuery? BindSelect(SelectSyntax select)
    {
        var sql = new StringBuilder();
        var order = new List<int>();
        bool ok = true;
        foreach (SqlToken token in select.Tokens)
        {
            switch (token.Kind)
            {
                case TokenKind.SqlWhitespace:
                    sql.Append(' ');
                    break;
                case TokenKind.SqlIdentifier:
                    int index = _signature.IndexOf(token.Text);
                    if (index >= 0)
                    {
                        int placeholder = order.IndexOf(index);
                        if (placeholder < 0)
                        {
                            order.Add(index);
                            placeholder = order.Count - 1;
                        }

                        sql.Append('$').Append(placeholder + 1).Append("::").Append(_signature.Parameters[index].Type.Name);
                    }
                    else if (token.Text[0] == '$')
                    {
                        Report(DiagnosticIds.InvalidArgumentReference, $"invalid argument reference: {token.Text}", token.Span);
                        ok = false;
                    }
                    else
                    {
                        sql.Append(token.Text);
                    }

                    break;
                default:
                    sql.Append(token.Text);
                    break;
            }
        }

        return ok ? new BoundQuery(sql.ToString().Trim(), new EquatableArray<int>(order.ToArray())) : null;
    }

    private static string Describe(RunSyntax run) => run.RunKind == RunKind.Argument ? run.Argument!.Value.Name : run.Function!.Name + "(...)";

    // Diagnostics about statements that came from the interface body point into the interface's text.
    private void Within(StatementSyntax? statement) => _current = statement;

    internal void Report(string id, string message, SourceSpan span) =>
        _diagnostics.Add(new BodyDiagnostic(id, message, span, _current is not null && _interfaceStatements.Contains(_current)));
}

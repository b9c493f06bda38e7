namespace PlProxy.Client.Language;

/// <summary>Where a function runs: a cluster (by name or by a function of the arguments) or one database (CONNECT).</summary>
internal enum LocationKind
{
    /// <summary><c>CLUSTER 'name'</c>.</summary>
    ClusterName,

    /// <summary><c>CLUSTER func(args)</c>.</summary>
    ClusterFunction,

    /// <summary><c>CONNECT 'connstr'</c>.</summary>
    ConnectString,

    /// <summary><c>CONNECT func(args)</c> or <c>CONNECT argname</c>.</summary>
    ConnectExpression,
}

/// <summary>
/// The SQL of a SELECT statement with argument references replaced by <c>$1 … $k</c> (each with its type, as PL/Proxy
/// writes them), numbered in order of first use.
/// </summary>
/// <param name="Sql">The SQL text to send.</param>
/// <param name="ParameterIndexes">For each placeholder <c>$k</c>, the index of the proxy function's argument it carries.</param>
internal sealed record BoundQuery(string Sql, EquatableArray<int> ParameterIndexes);

/// <summary>A body bound to its function: everything the planner and the executor need, checked.</summary>
/// <param name="Signature">The function.</param>
/// <param name="Location">CLUSTER or CONNECT, and which form.</param>
/// <param name="ClusterName">The cluster for <see cref="LocationKind.ClusterName"/>.</param>
/// <param name="ConnectString">The connection string for <see cref="LocationKind.ConnectString"/>.</param>
/// <param name="LocationExpression">The expression giving the cluster name or the connection string, for the expression forms.</param>
/// <param name="Run">RUN ON's form (<see cref="RunKind.Any"/> when RUN is missing). <see cref="RunKind.Argument"/> is bound as a hash expression.</param>
/// <param name="ExactPartition">The partition for <see cref="RunKind.Exact"/>.</param>
/// <param name="Hash">The hash expression for <see cref="RunKind.Function"/> and <see cref="RunKind.Argument"/>.</param>
/// <param name="SplitParameters">The indexes of the split arguments, ascending.</param>
/// <param name="Target">The remote function name from TARGET, or null.</param>
/// <param name="Select">The remote query from SELECT, or null.</param>
internal sealed record BoundFunction(
    FunctionSignature Signature,
    LocationKind Location,
    string? ClusterName,
    string? ConnectString,
    BoundExpression? LocationExpression,
    RunKind Run,
    int ExactPartition,
    BoundExpression? Hash,
    EquatableArray<int> SplitParameters,
    string? Target,
    BoundQuery? Select)
{
    /// <summary>True when the hash expression returns several hashes (a set-returning user function).</summary>
    public bool HashReturnsSet => Hash is CallExpression { ReturnsSet: true };

    /// <summary>True when <paramref name="parameterIndex"/> is a split argument.</summary>
    public bool IsSplit(int parameterIndex)
    {
        foreach (int index in SplitParameters)
        {
            if (index == parameterIndex)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>The outcome of binding: the function, or the errors that prevent it.</summary>
internal sealed record BindResult(BoundFunction? Function, EquatableArray<BodyDiagnostic> Diagnostics)
{
    public bool Succeeded => Function is not null && Diagnostics.Count == 0;
}

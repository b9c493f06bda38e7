using PlProxy.Client.Language;

namespace PlProxy.Client.Planning;

/// <summary>
/// Decides where a call runs, as PL/Proxy's executor does: RUN ON a hash, a partition number, ANY or ALL;
/// under SPLIT, the RUN ON condition per element, each database receiving only its elements, in order.
/// Partitions with byte-identical connection strings are one database, called once. Pure: no I/O.
/// </summary>
internal static class Planner
{
    /// <summary>Plans a call of <paramref name="function"/> with <paramref name="arguments"/> on <paramref name="cluster"/>.</summary>
    /// <exception cref="PlProxyException">A hash is NULL, a partition number is out of range, split arrays differ in length, or a set of hashes was returned for a function that is not set-returning.</exception>
    public static ExecutionPlan Plan<TArgs>(BoundFunction function, in TArgs arguments, ClusterLayout cluster, IRandomSource random, IUserFunctions? functions = null)
        where TArgs : IPlanArguments
    {
        if (function.SplitParameters.Count > 0)
        {
            return PlanSplit(function, arguments, cluster, random, functions);
        }

        switch (function.Run)
        {
            case RunKind.All:
                return ExecutionPlan.Multiple(cluster.AllTargets);

            case RunKind.Exact:
                return Single(cluster, ExactPartition(function, cluster));

            case RunKind.Any:
                return Single(cluster, cluster.PartitionOf(random.Next()));

            default:
                if (function.HashReturnsSet)
                {
                    var tags = new Tagger(cluster);
                    TagHashes(function, arguments, -1, cluster, functions, ref tags);
                    return tags.ToPlan();
                }

                return Single(cluster, cluster.PartitionOf(Hash(function, arguments, -1, cluster, functions)));
        }
    }

    private static ExecutionPlan Single(ClusterLayout cluster, int partition) =>
        ExecutionPlan.Single(cluster.ConnectionOf(partition), partition);

    private static int ExactPartition(BoundFunction function, ClusterLayout cluster)
    {
        int partition = function.ExactPartition;
        if (partition < 0 || partition >= cluster.PartitionCount)
        {
            throw Errors(function, cluster).Error($"RUN ON {partition}: part number out of range (cluster '{cluster.Name}' has {cluster.PartitionCount} partitions)");
        }

        return partition;
    }

    private static ExecutionPlan PlanSplit<TArgs>(BoundFunction function, in TArgs arguments, ClusterLayout cluster, IRandomSource random, IUserFunctions? functions)
        where TArgs : IPlanArguments
    {
        // The split arrays go side by side; a NULL array counts as empty, as in PL/Proxy.
        int length = -1;
        foreach (int parameter in function.SplitParameters)
        {
            int count = Math.Max(arguments.GetArrayLength(parameter), 0);
            if (length >= 0 && count != length)
            {
                throw Errors(function, cluster).Error("split arrays must be of identical lengths");
            }

            length = count;
        }

        var tags = new Tagger(cluster);
        for (int row = 0; row < length; row++)
        {
            switch (function.Run)
            {
                case RunKind.All:
                    for (int partition = 0; partition < cluster.PartitionCount; partition++)
                    {
                        tags.Tag(partition, row);
                    }

                    break;
                case RunKind.Exact:
                    tags.Tag(ExactPartition(function, cluster), row);
                    break;
                case RunKind.Any:
                    tags.Tag(cluster.PartitionOf(random.Next()), row);
                    break;
                default:
                    if (function.HashReturnsSet)
                    {
                        TagHashes(function, arguments, row, cluster, functions, ref tags);
                    }
                    else
                    {
                        tags.Tag(cluster.PartitionOf(Hash(function, arguments, row, cluster, functions)), row);
                    }

                    break;
            }
        }

        return tags.ToPlan();
    }

    private static void TagHashes<TArgs>(BoundFunction function, in TArgs arguments, int row, ClusterLayout cluster, IUserFunctions? functions, ref Tagger tags)
        where TArgs : IPlanArguments
    {
        // Any number of hashes: the binder allows a set-returning hash only on a set-returning function (PLPX2013),
        // so PL/Proxy's run-time "Only set-returning function allows hashcount <> 1" cannot arise here.
        foreach (SqlValue hash in ExpressionEvaluator.EvaluateSet((CallExpression)function.Hash!, arguments, row, cluster, functions))
        {
            tags.Tag(cluster.PartitionOf(HashValue(function, hash, arguments, row, cluster)), row);
        }
    }

    private static long Hash<TArgs>(BoundFunction function, in TArgs arguments, int row, ClusterLayout cluster, IUserFunctions? functions)
        where TArgs : IPlanArguments =>
        HashValue(function, ExpressionEvaluator.Evaluate(function.Hash!, arguments, row, cluster, functions), arguments, row, cluster);

    private static long HashValue<TArgs>(BoundFunction function, SqlValue hash, in TArgs arguments, int row, ClusterLayout cluster)
        where TArgs : IPlanArguments =>
        hash.Kind == SqlValueKind.Integer ? hash.Integer : throw NullHash(function, arguments, row, cluster);

    // PL/Proxy says "Hash function returned NULL"; the client also names the arguments that were NULL.
    private static PlProxyException NullHash<TArgs>(BoundFunction function, in TArgs arguments, int row, ClusterLayout cluster)
        where TArgs : IPlanArguments
    {
        var nullArguments = new List<string>();
        CollectNullArguments(function.Hash!, arguments, row, nullArguments);
        string detail = nullArguments.Count == 0 ? "" : $" (argument {string.Join(", ", nullArguments.Distinct())} is NULL)";
        return Errors(function, cluster).Error($"Hash function returned NULL{detail}");
    }

    // Planning names the function alone, as PL/Proxy's planner does (the executor adds the argument count).
    private static CallErrorContext Errors(BoundFunction function, ClusterLayout cluster) =>
        new(function.Signature.Name, function.Signature.Name, cluster.Name);

    private static void CollectNullArguments<TArgs>(BoundExpression expression, in TArgs arguments, int row, List<string> names)
        where TArgs : IPlanArguments
    {
        switch (expression)
        {
            case ArgumentExpression argument:
                SqlValue value = argument.IsSplitElement ? arguments.GetElement(argument.ParameterIndex, row) : arguments.GetValue(argument.ParameterIndex);
                if (value.IsNull)
                {
                    names.Add(argument.IsSplitElement ? $"{argument.Name}[{row}]" : argument.Name);
                }

                break;
            case CallExpression call:
                foreach (BoundExpression inner in call.Arguments)
                {
                    CollectNullArguments(inner, arguments, row, names);
                }

                break;
            case CastExpression cast:
                CollectNullArguments(cast.Operand, arguments, row, names);
                break;
        }
    }

    /// <summary>Collects the connections a call was tagged for, in first-tag order, with the split rows each receives.</summary>
    private struct Tagger
    {
        private readonly ClusterLayout _cluster;
        private readonly int[] _targetOfConnection;
        private readonly List<(int Connection, int Partition, List<int> Rows)> _targets;

        public Tagger(ClusterLayout cluster)
        {
            _cluster = cluster;
            _targetOfConnection = new int[cluster.ConnectionCount];
            _targets = new List<(int, int, List<int>)>();
        }

        public void Tag(int partition, int row)
        {
            int connection = _cluster.ConnectionOf(partition);
            int target = _targetOfConnection[connection] - 1;
            if (target < 0)
            {
                _targets.Add((connection, partition, new List<int>()));
                target = _targets.Count - 1;
                _targetOfConnection[connection] = target + 1;
            }

            List<int> rows = _targets[target].Rows;
            if (row >= 0 && (rows.Count == 0 || rows[^1] != row))
            {
                rows.Add(row); // a row tagged twice for one database goes there once
            }
        }

        public readonly ExecutionPlan ToPlan()
        {
            var targets = new PlanTarget[_targets.Count];
            for (int i = 0; i < targets.Length; i++)
            {
                (int connection, int partition, List<int> rows) = _targets[i];
                targets[i] = new PlanTarget(connection, partition, rows.Count == 0 && !IsSplit ? null : [.. rows]);
            }

            return ExecutionPlan.Multiple(targets);
        }

        // Rows are recorded only under SPLIT (row >= 0); without it every target takes the arguments whole.
        private readonly bool IsSplit => _targets.Exists(t => t.Rows.Count > 0);
    }
}

namespace PlProxy.Client.Planning;

/// <summary>
/// The argument values of one call, as the planner reads them. Every call passes <see cref="ObjectArrayArguments"/>
/// today (generated proxies and bodies given as text alike). The planner is generic over this interface so that a
/// struct over a method's own parameters can be read without boxing: PlanningBenchmarks measures that path, and the
/// generated typed arguments of the performance work are to use it.
/// </summary>
internal interface IPlanArguments
{
    /// <summary>The value of argument <paramref name="parameterIndex"/>.</summary>
    SqlValue GetValue(int parameterIndex);

    /// <summary>The length of the array argument <paramref name="parameterIndex"/>, or -1 when it is NULL.</summary>
    /// <exception cref="PlProxyException">The array has more than one dimension.</exception>
    int GetArrayLength(int parameterIndex);

    /// <summary>Element <paramref name="elementIndex"/> of the array argument <paramref name="parameterIndex"/>.</summary>
    SqlValue GetElement(int parameterIndex, int elementIndex);
}

/// <summary>Arguments given as an object array (one entry per parameter; arrays as any <see cref="System.Collections.IList"/>).</summary>
internal readonly struct ObjectArrayArguments : IPlanArguments
{
    private readonly object?[] _values;

    public ObjectArrayArguments(object?[] values) => _values = values;

    public SqlValue GetValue(int parameterIndex) => SqlValue.FromObject(_values[parameterIndex]);

    public int GetArrayLength(int parameterIndex) => _values[parameterIndex] switch
    {
        null or DBNull => -1,
        Array { Rank: > 1 } => throw new PlProxyException("split multi-dimensional arrays are not supported"),
        System.Collections.IList list => list.Count,
        var other => throw new PlProxyException($"SPLIT argument ${parameterIndex + 1} is not an array but {other.GetType().Name}"),
    };

    public SqlValue GetElement(int parameterIndex, int elementIndex) =>
        SqlValue.FromObject(((System.Collections.IList)_values[parameterIndex]!)[elementIndex]);
}

using PlProxy.Client.Language;
using PlProxy.Client.Planning;

namespace PlProxy.Client.Tests.Planning;

public sealed class PlannerTests
{
    private sealed class FixedRandom(params int[] values) : IRandomSource
    {
        private int _next;

        public int Next() => values[_next++ % values.Length];
    }

    private sealed class HashSets : IUserFunctions
    {
        public SqlValue Invoke(string name, ReadOnlySpan<SqlValue> arguments) => throw new InvalidOperationException();

        public IEnumerable<SqlValue> InvokeSet(string name, SqlValue[] arguments) =>
            arguments[0].Text!.Split(',').Select(h => SqlValue.FromInteger(long.Parse(h, System.Globalization.CultureInfo.InvariantCulture)));
    }

    private static readonly ClusterLayout Four = new("c4", ["db=a", "db=b", "db=c", "db=d"]);

    private static BoundFunction Bind(string body, bool returnsSet = false, params (string Name, string Type)[] parameters)
    {
        var signature = new FunctionSignature("f", new EquatableArray<ParameterSignature>([.. parameters.Select(p => new ParameterSignature(p.Name, PgType.Parse(p.Type)))]), returnsSet);
        var catalog = new FunctionCatalog([new UserFunction("hashes", new([PgType.Text]), PgType.Int8, true)]);
        BindResult result = Binder.Bind(Parser.Parse(body), signature, catalog);
        Assert.True(result.Succeeded, string.Join("; ", result.Diagnostics));
        return result.Function!;
    }

    [Fact]
    public void Plan_RunOnAny_UsesTheRandomSourceThroughTheMask()
    {
        BoundFunction function = Bind("cluster 'c4';");

        ExecutionPlan plan = Planner.Plan(function, new ObjectArrayArguments([]), Four, new FixedRandom(6));

        Assert.Equal((2, 2), (plan.SinglePartition, plan.SingleConnection));
    }

    [Fact]
    public void Plan_RunOnAll_ListsConnectionsInPartitionOrder()
    {
        ExecutionPlan plan = Planner.Plan(Bind("cluster 'c4'; run on all;", returnsSet: true), new ObjectArrayArguments([]), Four, new FixedRandom(0));

        Assert.Equal([0, 1, 2, 3], Enumerable.Range(0, plan.Count).Select(i => plan[i].Partition));
    }

    [Fact]
    public void Plan_SetReturningHash_TagsEachPartitionOnceInFirstTagOrder()
    {
        BoundFunction function = Bind("cluster 'c4'; run on hashes(key);", returnsSet: true, ("key", "text"));

        ExecutionPlan plan = Planner.Plan(function, new ObjectArrayArguments(["7,1,3,5"]), Four, new FixedRandom(0), new HashSets());

        Assert.Equal([3, 1], Enumerable.Range(0, plan.Count).Select(i => plan[i].Partition));
        Assert.All(Enumerable.Range(0, plan.Count), i => Assert.Null(plan[i].Rows));
    }

    [Fact]
    public void Plan_SplitWithSetReturningHash_SendsEachElementToEveryTaggedPartition()
    {
        BoundFunction function = Bind("cluster 'c4'; split keys; run on hashes(keys);", returnsSet: true, ("keys", "text[]"));

        ExecutionPlan plan = Planner.Plan(function, new ObjectArrayArguments([new[] { "0,1", "1", "2,2" }]), Four, new FixedRandom(0), new HashSets());

        Assert.Equal(["0:0", "1:0,1", "2:2"], Enumerable.Range(0, plan.Count).Select(i => $"{plan[i].Partition}:{string.Join(',', plan[i].Rows!)}"));
    }

    [Fact]
    public void Plan_SplitWithRunOnAny_DrawsAPartitionPerElement()
    {
        BoundFunction function = Bind("cluster 'c4'; split keys; run on any;", returnsSet: true, ("keys", "text[]"));

        ExecutionPlan plan = Planner.Plan(function, new ObjectArrayArguments([new[] { "a", "b", "c" }]), Four, new FixedRandom(3, 1, 7));

        Assert.Equal(["3:0,2", "1:1"], Enumerable.Range(0, plan.Count).Select(i => $"{plan[i].Partition}:{string.Join(',', plan[i].Rows!)}"));
    }

    [Fact]
    public void Plan_MultidimensionalSplitArray_IsAnError()
    {
        BoundFunction function = Bind("cluster 'c4'; split keys; run on hashtext(keys);", returnsSet: true, ("keys", "text[]"));

        var error = Assert.Throws<PlProxyException>(() => Planner.Plan(function, new ObjectArrayArguments([new string[1, 1]]), Four, new FixedRandom(0)));

        Assert.Equal("split multi-dimensional arrays are not supported", error.Message);
    }

    [Fact]
    public void Plan_NullHashOfSplitElement_NamesTheElement()
    {
        BoundFunction function = Bind("cluster 'c4'; split keys; run on hashtext(keys);", returnsSet: true, ("keys", "text[]"));

        var error = Assert.Throws<PlProxyException>(() => Planner.Plan(function, new ObjectArrayArguments([new[] { "a", null }]), Four, new FixedRandom(0)));

        Assert.Contains("keys[1] is NULL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_SingleHashCall_AllocatesNothing()
    {
        BoundFunction function = Bind("cluster 'c4'; run on hashtext(key);", parameters: ("key", "text"));
        var arguments = new TextArgument("user42");
        Planner.Plan(function, arguments, Four, SharedRandomSource.Instance); // warm up

        long before = GC.GetAllocatedBytesForCurrentThread();
        ExecutionPlan plan = Planner.Plan(function, arguments, Four, SharedRandomSource.Instance);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(Client.Hashing.Partitions.IndexOf(Client.Hashing.PgHash.HashText("user42"), 4), plan.SinglePartition);
    }

    [Fact]
    public void Layout_WithCountNotPowerOfTwo_IsRejectedUnlessModular()
    {
        var error = Assert.Throws<ArgumentException>(() => new ClusterLayout("c3", ["a", "b", "c"]));

        Assert.Contains("Cluster 'c3' has 3 partitions", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, new ClusterLayout("c3", ["a", "b", "c"], PartitionMapping.Modular).PartitionCount);
    }

    [Fact]
    public void Plan_SplitWithRunOnNumber_SendsEveryElementToThatPartition()
    {
        BoundFunction function = Bind("cluster 'c4'; split keys; run on 2;", returnsSet: true, ("keys", "text[]"));

        ExecutionPlan plan = Planner.Plan(function, new ObjectArrayArguments([new[] { "a", "b", "c" }]), Four, new FixedRandom(0));

        Assert.Equal((1, 2), (plan.Count, plan[0].Partition));
        Assert.Equal([0, 1, 2], plan[0].Rows!);
    }

    [Fact]
    public void Plan_NullHashThroughACast_NamesTheArgument()
    {
        BoundFunction function = Bind("cluster 'c4'; run on hashtext(id::text);", returnsSet: false, ("id", "int8"));

        var error = Assert.Throws<PlProxyException>(() => Planner.Plan(function, new ObjectArrayArguments([null]), Four, new FixedRandom(0)));

        Assert.Equal("f: Hash function returned NULL (argument id is NULL)", error.Message);
    }

    [Fact]
    public void Plan_SplitOfScalar_NamesTheArgumentAndItsType()
    {
        BoundFunction function = Bind("cluster 'c4'; split keys; run on hashtext(keys);", returnsSet: true, ("keys", "text[]"));

        var error = Assert.Throws<PlProxyException>(() => Planner.Plan(function, new ObjectArrayArguments(["one"]), Four, new FixedRandom(0)));

        Assert.Equal("SPLIT argument $1 is not an array but String", error.Message);
    }

    [Fact]
    public void Layout_WithoutPartitions_NamesTheCluster() =>
        Assert.StartsWith("Cluster 'c0' has no partitions.", Assert.Throws<ArgumentException>(() => new ClusterLayout("c0", [])).Message, StringComparison.Ordinal);

    [Fact]
    public void Layout_WithEmptyPartition_NamesIt() =>
        Assert.Contains("Partition 1 of cluster 'c2'", Assert.Throws<ArgumentException>(() => new ClusterLayout("c2", ["a", " "])).Message, StringComparison.Ordinal);

    [Fact]
    public void Layout_SharesConnectionsOfIdenticalConnectionStrings()
    {
        var layout = new ClusterLayout("c4", ["a", "b", "a", "B"]);

        Assert.Equal((3, 0, 2), (layout.ConnectionCount, layout.ConnectionOf(2), layout.ConnectionOf(3)));
    }

    /// <summary>The shape generated code gives arguments: a struct over typed values, no boxing.</summary>
    private readonly struct TextArgument(string value) : IPlanArguments
    {
        public SqlValue GetValue(int parameterIndex) => SqlValue.FromText(value);

        public int GetArrayLength(int parameterIndex) => throw new NotSupportedException();

        public SqlValue GetElement(int parameterIndex, int elementIndex) => throw new NotSupportedException();
    }
}

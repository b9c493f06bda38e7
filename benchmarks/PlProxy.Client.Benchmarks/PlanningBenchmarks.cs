using BenchmarkDotNet.Attributes;
using PlProxy.Client.Language;
using PlProxy.Client.Planning;

namespace PlProxy.Client.Benchmarks;

/// <summary>Planning a call: from bound function and arguments to the partitions it runs on (no I/O).</summary>
[MemoryDiagnoser]
[MedianColumn]
public class PlanningBenchmarks
{
    private static readonly FunctionSignature Signature =
        new("get_balance", new EquatableArray<ParameterSignature>([new ParameterSignature("username", PgType.Text)]), ReturnsSet: true);

    private readonly ClusterLayout _cluster = new("userdb", [.. Enumerable.Range(0, 16).Select(i => $"Host=127.0.0.1;Database=part{i}")]);
    private BoundFunction _hash = null!;
    private BoundFunction _any = null!;
    private BoundFunction _all = null!;

    [GlobalSetup]
    public void Setup()
    {
        _hash = Bind("cluster 'userdb'; run on hashtext(username);");
        _any = Bind("cluster 'userdb'; run on any;");
        _all = Bind("cluster 'userdb'; run on all;");
    }

    [Benchmark(Baseline = true)]
    public int SingleHash() => Planner.Plan(_hash, new UsernameArgument("user42"), _cluster, SharedRandomSource.Instance).SingleConnection;

    [Benchmark]
    public int Any() => Planner.Plan(_any, new UsernameArgument("user42"), _cluster, SharedRandomSource.Instance).SingleConnection;

    [Benchmark]
    public int All() => Planner.Plan(_all, new UsernameArgument("user42"), _cluster, SharedRandomSource.Instance).Count;

    private static BoundFunction Bind(string body) => Binder.Bind(Parser.Parse(body), Signature).Function!;

    /// <summary>Arguments as generated code passes them: a struct, so nothing is boxed.</summary>
    private readonly struct UsernameArgument(string username) : IPlanArguments
    {
        public SqlValue GetValue(int parameterIndex) => SqlValue.FromText(username);

        public int GetArrayLength(int parameterIndex) => -1;

        public SqlValue GetElement(int parameterIndex, int elementIndex) => SqlValue.Null;
    }
}

using System.Collections;
using System.Data.Common;
using BenchmarkDotNet.Attributes;
using PlProxy.Client.Configuration;
using PlProxy.Client.Execution;

namespace PlProxy.Client.Benchmarks;

[PlProxy("CLUSTER 'memory';")]
public interface IInMemory
{
    [PlProxy("RUN ON hashtext(username);")]
    Task<decimal> GetBalanceAsync(string username);

    [PlProxy("RUN ON ALL;")]
    Task<IReadOnlyList<decimal>> AllBalancesAsync();

    [PlProxy("RUN ON 0; TARGET hundred_balances;")]
    Task<IReadOnlyList<decimal>> HundredBalancesAsync();

    [PlProxy("SPLIT usernames; RUN ON hashtext(usernames);")]
    Task<IReadOnlyList<decimal>> SplitBalancesAsync(string[] usernames);
}

/// <summary>
/// The generated dispatcher without I/O: each partition answers at once from memory, so what is measured is the
/// proxy, the binder's output, planning, argument handling and result reading.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class DispatcherBenchmarks
{
    private IInMemory _proxy = null!;
    private PlProxyDataSource _source = null!;
    private string[] _thousand = [];
    private readonly InMemoryExecutor _executor = new();
    private readonly object?[] _arguments = ["user42"];
    private readonly Proxies.ProxyMethod _method = Proxies.ProxyMethod.Create(new Proxies.ProxyMethodInfo
    {
        FunctionName = "get_balance",
        InterfaceBody = "CLUSTER 'memory';",
        Body = "RUN ON hashtext(username);",
        Parameters = [new Proxies.ProxyParameterInfo { Name = "username", PgType = "text" }],
        ResultPgType = "numeric",
    });

    [GlobalSetup]
    public void Setup()
    {
        var options = new PlProxyOptions().AddCluster("memory", [.. Enumerable.Range(0, 16).Select(i => $"Host=memory.invalid;Database=p{i}")]);
        _source = PlProxyDataSource.Create(options, _executor);
        _proxy = _source.CreateProxy<IInMemory>();
        _thousand = [.. Enumerable.Range(0, 1000).Select(i => $"user{i}")];
    }

    [GlobalCleanup]
    public void Cleanup() => _source.Dispose();

    [Benchmark(Baseline = true)]
    public Task<decimal> ScalarHashCall() => _proxy.GetBalanceAsync("user42");

    // The floor under any dispatcher on this seam: the in-memory partition's own request, reader and reads.
    [Benchmark]
    public async Task<decimal> InMemoryPartitionAlone()
    {
        DbDataReader reader = await _executor.ExecuteAsync(new PartitionRequest("memory", 0, "get_balance", "select get_balance($1::text)::numeric as r", ["username"], ["user42"]), default);
        await using (reader)
        {
            await reader.ReadAsync();
            decimal balance = reader.GetFieldValue<decimal>(0);
            await reader.ReadAsync();
            return balance;
        }
    }

    // The routing part of a call: the cluster version's lease and the plan (hash of the argument, partition).
    [Benchmark]
    public async ValueTask<int> LeaseAndPlan()
    {
        Clusters.ClusterSnapshot cluster = await _source.Clusters.AcquireAsync("memory", _method.Call.Errors("memory"), default);
        try
        {
            return Planning.Planner.Plan(_method.Call.Function, new Planning.ObjectArrayArguments(_arguments), cluster.Layout, Planning.SharedRandomSource.Instance, _method.Call.Functions).SinglePartition;
        }
        finally
        {
            cluster.Release();
        }
    }

    // A list of 100 rows from one partition: what the call allocates beyond its rows and their list.
    [Benchmark]
    public Task<IReadOnlyList<decimal>> List100() => _proxy.HundredBalancesAsync();

    [Benchmark]
    public Task<IReadOnlyList<decimal>> RunOnAll16() => _proxy.AllBalancesAsync();

    [Benchmark]
    public Task<IReadOnlyList<decimal>> Split1000Over16() => _proxy.SplitBalancesAsync(_thousand);

    private sealed class InMemoryExecutor : IPartitionExecutor
    {
        public ValueTask<DbDataReader> ExecuteAsync(PartitionRequest request, CancellationToken cancellationToken) =>
            new(new SingleValueReader(100m, request.Function == "hundred_balances" ? 100 : 1));
    }

    /// <summary>A reader over rows of one decimal column, all the same value.</summary>
    private sealed class SingleValueReader(decimal value, int rows) : DbDataReader
    {
        private int _position = -1;

        public override int FieldCount => 1;

        public override bool HasRows => true;

        public override bool IsClosed => _position >= rows;

        public override int RecordsAffected => -1;

        public override int Depth => 0;

        public override object this[int ordinal] => value;

        public override object this[string name] => value;

        public override bool Read() => ++_position < rows;

        public override Task<bool> ReadAsync(CancellationToken cancellationToken) => Read() ? TrueTask : FalseTask;

        public override T GetFieldValue<T>(int ordinal) => (T)(object)value;

        public override bool IsDBNull(int ordinal) => false;

        public override string GetName(int ordinal) => "r";

        public override int GetOrdinal(string name) => 0;

        public override object GetValue(int ordinal) => value;

        public override decimal GetDecimal(int ordinal) => value;

        public override Type GetFieldType(int ordinal) => typeof(decimal);

        public override string GetDataTypeName(int ordinal) => "numeric";

        public override bool NextResult() => false;

        public override int GetValues(object[] values)
        {
            values[0] = value;
            return 1;
        }

        public override IEnumerator GetEnumerator() => throw new NotSupportedException();

        public override bool GetBoolean(int ordinal) => throw new NotSupportedException();

        public override byte GetByte(int ordinal) => throw new NotSupportedException();

        public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length) => throw new NotSupportedException();

        public override char GetChar(int ordinal) => throw new NotSupportedException();

        public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length) => throw new NotSupportedException();

        public override DateTime GetDateTime(int ordinal) => throw new NotSupportedException();

        public override double GetDouble(int ordinal) => throw new NotSupportedException();

        public override float GetFloat(int ordinal) => throw new NotSupportedException();

        public override Guid GetGuid(int ordinal) => throw new NotSupportedException();

        public override short GetInt16(int ordinal) => throw new NotSupportedException();

        public override int GetInt32(int ordinal) => throw new NotSupportedException();

        public override long GetInt64(int ordinal) => throw new NotSupportedException();

        public override string GetString(int ordinal) => throw new NotSupportedException();

        private static readonly Task<bool> TrueTask = Task.FromResult(true);
        private static readonly Task<bool> FalseTask = Task.FromResult(false);
    }
}

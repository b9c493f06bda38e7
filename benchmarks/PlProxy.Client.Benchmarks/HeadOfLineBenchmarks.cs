using System.Collections.Concurrent;
using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using PlProxy.Client.Configuration;

namespace PlProxy.Client.Benchmarks;

[PlProxy("CLUSTER 'userdb'; RUN ON hashtext(username);")]
public interface IBenchHeadOfLine
{
    [PlProxy("TARGET get_balance;")]
    Task<decimal?> FastAsync(string username, CancellationToken cancellationToken = default);

    [PlProxy("TARGET slow_balance;")]
    Task<decimal?> SlowAsync(string username, double seconds, CancellationToken cancellationToken = default);
}

/// <summary>
/// Head of line: fast calls (16 callers, 8 calls each) and, arriving among them, 2 one-second calls on the same partitions, with
/// 1 and 4 connections per partition, with the long-call rule (a method measured past LongCallThreshold waits for a
/// connection of its own) and without it (every call may share a round trip). The time per operation is the fast
/// calls'; their p50 and p99 go to benchmarks/results/HeadOfLineLatencies.md.
/// </summary>
[Config(typeof(EndToEndConfig))]
public class HeadOfLineBenchmarks
{
    private const int FastCallers = 16;
    private const int FastCallsEach = 8;
    private static readonly ConcurrentDictionary<string, ConcurrentBag<long>> Latencies = new();

    private PlProxyDataSource _source = null!;
    private IBenchHeadOfLine _db = null!;
    private string[] _users = [];

    [Params(1, 4)]
    public int Cap { get; set; }

    [Params(true, false)]
    public bool LongCallRule { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        BenchmarkEnvironment environment = BenchmarkEnvironment.Instance;
        _users = environment.Usernames;
        _source = PlProxyDataSource.Create(new PlProxyOptions { ConnectionBudgetTimeout = TimeSpan.FromSeconds(60) }.AddCluster("userdb", cluster =>
        {
            foreach (string partition in environment.Partitions)
            {
                cluster.Partitions.Add(partition);
            }

            cluster.MaxConnectionsPerPartition = Cap;
            cluster.LongCallThreshold = LongCallRule ? TimeSpan.FromMilliseconds(50) : null;
        }));
        _db = _source.CreateProxy<IBenchHeadOfLine>();
        _db.SlowAsync(_users[0], 0.1).GetAwaiter().GetResult(); // measured once on a connection of its own, as in a running service
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _source.Dispose();
        EndToEndReport.Write(Latencies, "HeadOfLineLatencies.md");
    }

    [Benchmark(OperationsPerInvoke = FastCallers * FastCallsEach)]
    public async Task FastCallsBesideOneSecondCalls()
    {
        ConcurrentBag<long> latencies = Latencies.GetOrAdd($"cap {Cap}, long-call rule {(LongCallRule ? "on" : "off")}|{FastCallers}", _ => []);
        Task fast = Task.WhenAll(Enumerable.Range(0, FastCallers).Select(caller => Task.Run(async () =>
        {
            var random = new Random(caller);
            for (int i = 0; i < FastCallsEach; i++)
            {
                long started = Stopwatch.GetTimestamp();
                await _db.FastAsync(_users[random.Next(_users.Length)]).ConfigureAwait(false);
                latencies.Add(Stopwatch.GetTimestamp() - started);
            }
        })));
        await Task.Delay(2); // the 1-second calls arrive while fast calls queue: without the rule they share round trips
        Task[] slow = [.. Enumerable.Range(0, 2).Select(i => (Task)_db.SlowAsync(_users[i * 7], 1))];
        await fast;
        await Task.WhenAll(slow);
    }
}

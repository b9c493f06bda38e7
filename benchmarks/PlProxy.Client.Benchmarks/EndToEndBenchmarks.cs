using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Npgsql;

namespace PlProxy.Client.Benchmarks;

/// <summary>Runs end-to-end benchmarks in this process (one shared local PostgreSQL) with few iterations.</summary>
public sealed class EndToEndConfig : ManualConfig
{
    /// <summary>Set by <c>--short</c>: two warm-ups and three iterations of 250 ms per case, for routine checks (about 1.5 minutes).</summary>
    public static bool Short { get; set; }

    /// <summary>Set by <c>--long</c>: three warm-ups and fifteen iterations per case, to settle a ratio the short job leaves noisy.</summary>
    public static bool Long { get; set; }

    public EndToEndConfig()
    {
        AddJob(Short
            ? Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(2).WithIterationCount(3)
                .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(250))
            : Long
                ? Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(3).WithIterationCount(15)
                : Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(2).WithIterationCount(5));
        AddColumn(BenchmarkDotNet.Columns.StatisticColumn.Median);
    }
}

/// <summary>
/// The same workload — the balance of a random user — three ways, side by side: straightforward hand-routed Npgsql
/// (hash, pick the data source, one command: the limit), the generated PlProxy.Client proxy, and server-side PL/Proxy
/// through a proxy database; each direct and through pgBouncer (statement mode). Like is compared with like: the
/// baseline is hand-routed Npgsql with the connection settings the library uses (automatic preparation, no reset on
/// close), and server-side PL/Proxy runs with them too; the contenders at Npgsql's defaults show what users get out of
/// the box. 256 calls per invocation split
/// among the callers, so the reported time is per call (1 / throughput). Per-call latencies go to
/// benchmarks/results/EndToEndLatencies.md.
/// </summary>
[Config(typeof(EndToEndConfig))]
[MemoryDiagnoser]
public class EndToEndBenchmarks
{
    private const int CallsPerInvoke = 256;
    private static readonly ConcurrentDictionary<string, ConcurrentBag<long>> Latencies = new();

    private BenchmarkEnvironment _environment = null!;
    private IBenchUserDb _client = null!;
    private IBenchUserDb _clientPooled = null!;

    [Params(1, 8, 32)]
    public int Callers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _environment = BenchmarkEnvironment.Instance;
        _client = _environment.Client.CreateProxy<IBenchUserDb>();
        _clientPooled = _environment.ClientPooled.CreateProxy<IBenchUserDb>();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = CallsPerInvoke)]
    public Task HandRoutedNpgsqlTuned() => Run(nameof(HandRoutedNpgsqlTuned), user => BenchmarkEnvironment.HandRoutedBalanceAsync(_environment.HandRoutedTuned, user));

    [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
    public Task HandRoutedNpgsql() => Run(nameof(HandRoutedNpgsql), user => BenchmarkEnvironment.HandRoutedBalanceAsync(_environment.HandRouted, user));

    [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
    public Task PlProxyClient() => Run(nameof(PlProxyClient), user => _client.GetBalanceAsync(user));

    [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
    public Task ServerSidePlProxyTuned() => Run(nameof(ServerSidePlProxyTuned), user => BenchmarkEnvironment.BalanceAsync(_environment.ServerSideTuned, user));

    [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
    public Task ServerSidePlProxy() => Run(nameof(ServerSidePlProxy), user => BenchmarkEnvironment.BalanceAsync(_environment.ServerSide, user));

    [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
    public Task HandRoutedNpgsqlViaPgBouncer() => Run(nameof(HandRoutedNpgsqlViaPgBouncer), user => BenchmarkEnvironment.HandRoutedBalanceAsync(_environment.HandRoutedPooled, user));

    [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
    public Task PlProxyClientViaPgBouncer() => Run(nameof(PlProxyClientViaPgBouncer), user => _clientPooled.GetBalanceAsync(user));

    [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
    public Task ServerSidePlProxyViaPgBouncer() => Run(nameof(ServerSidePlProxyViaPgBouncer), user => BenchmarkEnvironment.BalanceAsync(_environment.ServerSidePooled, user));

    [GlobalCleanup]
    public void Cleanup() => EndToEndReport.Write(Latencies);

    private Task Run(string method, Func<string, Task<decimal?>> call) =>
        EndToEndReport.BalancesAsync(Latencies.GetOrAdd($"{method}|{Callers}", _ => []), Callers, CallsPerInvoke, _environment.Usernames, call);
}

/// <summary>RUN ON ALL over 4 and 16 partitions against one partition, client-side and server-side.</summary>
[Config(typeof(EndToEndConfig))]
[MemoryDiagnoser]
public class FanOutBenchmarks
{
    private const int CallsPerInvoke = 64;
    private BenchmarkEnvironment _environment = null!;
    private IBenchUserDb _client = null!;
    private IBenchWide _wide = null!;

    [Params(1, 8)]
    public int Callers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _environment = BenchmarkEnvironment.Instance;
        _client = _environment.Client.CreateProxy<IBenchUserDb>();
        _wide = _environment.Client.CreateProxy<IBenchWide>();
    }

    // The same function on one partition: what a fan-out over several costs on top of a single call.
    [Benchmark(Baseline = true, OperationsPerInvoke = CallsPerInvoke)]
    public Task OnePartition() => Run(async () => await _client.CountOnOneAsync());

    [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
    public Task PlProxyClientAll4() => Run(async () => await _client.CountsAsync());

    [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
    public Task PlProxyClientAll16() => Run(async () => await _wide.CountsAsync());

    [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
    public Task ServerSidePlProxyAll4() => Run(() => Rows("select * from get_stats()"));

    [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
    public Task ServerSidePlProxyAll16() => Run(() => Rows("select * from get_wide_stats()"));

    private async Task Rows(string sql)
    {
        await using NpgsqlCommand command = _environment.ServerSideTuned.CreateCommand(sql); // the client's settings, as the client has them
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
        }
    }

    private Task Run(Func<Task> call) =>
        Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => Task.Run(async () =>
        {
            for (int i = 0; i < CallsPerInvoke / Callers; i++)
            {
                await call().ConfigureAwait(false);
            }
        })));
}

/// <summary>The end-to-end workload and its report: per-call latency percentiles.</summary>
internal static class EndToEndReport
{
    /// <summary>
    /// The balance of a random user, <paramref name="calls"/> calls split among <paramref name="callers"/>, each call's
    /// latency recorded and its answer checked.
    /// </summary>
    public static Task BalancesAsync(ConcurrentBag<long> latencies, int callers, int calls, string[] users, Func<string, Task<decimal?>> call) =>
        Task.WhenAll(Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
        {
            var random = new Random(caller);
            for (int i = 0; i < calls / callers; i++)
            {
                long started = Stopwatch.GetTimestamp();
                decimal? balance = await call(users[random.Next(users.Length)]).ConfigureAwait(false);
                latencies.Add(Stopwatch.GetTimestamp() - started);
                if (balance != 100m)
                {
                    throw new InvalidOperationException($"Wrong balance {balance}.");
                }
            }
        })));

    public static void Write(ConcurrentDictionary<string, ConcurrentBag<long>> latencies, string file = "EndToEndLatencies.md")
    {
        var lines = new List<string>
        {
            "| Method | Callers | Calls | p50 (ms) | p99 (ms) |",
            "|---|---:|---:|---:|---:|",
        };
        foreach ((string key, ConcurrentBag<long> bag) in latencies.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            long[] sorted = [.. bag.Order()];
            if (sorted.Length == 0)
            {
                continue;
            }

            string[] parts = key.Split('|');
            double Ms(double q) => sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(q * sorted.Length))] * 1000.0 / Stopwatch.Frequency;
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"| {parts[0]} | {parts[1]} | {sorted.Length} | {Ms(0.50):0.000} | {Ms(0.99):0.000} |"));
        }

        string directory = Path.Combine(FindRepositoryRoot(), "benchmarks", "results");
        Directory.CreateDirectory(directory);
        File.WriteAllLines(Path.Combine(directory, file), lines);
    }

    internal static string FindRepositoryRoot()
    {
        string? directory = AppContext.BaseDirectory;
        while (directory is not null && !File.Exists(Path.Combine(directory, "PlProxy.Client.sln")))
        {
            directory = Path.GetDirectoryName(directory);
        }

        return directory ?? Directory.GetCurrentDirectory();
    }
}

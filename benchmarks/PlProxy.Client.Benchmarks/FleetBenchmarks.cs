using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using PlProxy.Client.Configuration;

namespace PlProxy.Client.Benchmarks;

/// <summary>What a cluster gets by default, read from the options rather than restated.</summary>
internal static class PlProxyClusterOptionsDefaults
{
    public static int MaxConnectionsPerPartition { get; } = new PlProxyClusterOptions().MaxConnectionsPerPartition ?? 100;
}

/// <summary>
/// The fleet question at 1 to 128 callers in one process: the generated proxy with its default options (a few
/// connections per partition, calls that wait for them coalesced into one round trip) against tuned hand-routed Npgsql
/// with its default pool (up to 100 connections per partition: the baseline) and with its pool capped at the same
/// connections per partition. The same workload as <see cref="EndToEndBenchmarks"/> (the balance of a random user),
/// the same connection settings (automatic preparation, no reset on close). 1,024 calls per invocation split among
/// the callers: the reported time is per call (1 / throughput). Latency percentiles go to
/// benchmarks/results/FleetLatencies.md.
/// </summary>
[Config(typeof(EndToEndConfig))]
[MemoryDiagnoser]
public class FleetBenchmarks
{
    private const int CallsPerInvoke = 1024;
    private static readonly ConcurrentDictionary<string, ConcurrentBag<long>> Latencies = new();

    private BenchmarkEnvironment _environment = null!;
    private IBenchUserDb _client = null!;

    [Params(1, 8, 32, 128)]
    public int Callers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _environment = BenchmarkEnvironment.Instance;
        _client = _environment.Client.CreateProxy<IBenchUserDb>();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = CallsPerInvoke)]
    public Task HandRoutedNpgsqlTuned() => Run(nameof(HandRoutedNpgsqlTuned), user => BenchmarkEnvironment.HandRoutedBalanceAsync(_environment.HandRoutedTuned, user));

    [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
    public Task HandRoutedNpgsqlSameCap() => Run(nameof(HandRoutedNpgsqlSameCap), user => BenchmarkEnvironment.HandRoutedBalanceAsync(_environment.HandRoutedCapped, user));

    [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
    public Task PlProxyClientDefaults() => Run(nameof(PlProxyClientDefaults), user => _client.GetBalanceAsync(user));

    [GlobalCleanup]
    public void Cleanup() => EndToEndReport.Write(Latencies, "FleetLatencies.md");

    private Task Run(string method, Func<string, Task<decimal?>> call) =>
        EndToEndReport.BalancesAsync(Latencies.GetOrAdd($"{method}|{Callers}", _ => []), Callers, CallsPerInvoke, _environment.Usernames, call);
}

using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace PlProxy.Client.Benchmarks;

/// <summary>
/// A ratio this machine's noise leaves unsettled, looked at in pairs: the library (default options) and tuned
/// hand-routed Npgsql (default pool) in short alternating rounds of equal length (A B, then B A, ...), each pair's
/// throughput ratio taken; the median and the 10th–90th percentiles of the ratios reported. A slow drift of the
/// machine (other processes, the CPU's clock) touches both rounds of a pair alike, which a long round per contender
/// does not. Run with <c>--paired 1,8,32 60</c> (caller counts, pairs per count).
/// </summary>
internal static class PairedRounds
{
    private static readonly TimeSpan Round = TimeSpan.FromMilliseconds(500);

    public static async Task RunAsync(int[] callerCounts, int pairs)
    {
        IBenchUserDb client = BenchmarkEnvironment.Instance.Client.CreateProxy<IBenchUserDb>();
        string[] users = BenchmarkEnvironment.Instance.Usernames;
        NpgsqlDataSource[] partitions = BenchmarkEnvironment.Instance.HandRoutedTuned;
        Func<int, Task> library = i => client.GetBalanceAsync(users[i % users.Length]);
        Func<int, Task> handRouted = i => BenchmarkEnvironment.HandRoutedBalanceAsync(partitions, users[i % users.Length]);
        var lines = new List<string>
        {
            $"# Fleet, third harness: paired alternating rounds",
            "",
            $"`dotnet benchmarks/PlProxy.Client.Benchmarks/bin/Release/net10.0/PlProxy.Client.Benchmarks.dll --paired {string.Join(',', callerCounts)} {pairs}` (Release; one local PostgreSQL 15 with 4 partitions on 2 cores; {DateTime.UtcNow:yyyy-MM-dd}). Per caller count, after 2 s of warm-up each, {pairs} pairs of {Round.TotalMilliseconds:0}-ms rounds, the library and tuned hand-routed Npgsql (default pool, the same connection settings) alternating which goes first; each pair's throughput ratio (library / hand-routed; above 1 the library is faster).",
            "",
            "| Callers | ratio: median | 10th percentile | 90th percentile | pairs the library won | library µs per call (median) | hand-routed µs per call (median) |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        };
        foreach (int callers in callerCounts)
        {
            await RateAsync(library, callers, TimeSpan.FromSeconds(2));
            await RateAsync(handRouted, callers, TimeSpan.FromSeconds(2));
            var ratios = new List<double>();
            var libraryRates = new List<double>();
            var handRates = new List<double>();
            for (int pair = 0; pair < pairs; pair++)
            {
                double first = await RateAsync(pair % 2 == 0 ? library : handRouted, callers, Round);
                double second = await RateAsync(pair % 2 == 0 ? handRouted : library, callers, Round);
                (double ofLibrary, double ofHand) = pair % 2 == 0 ? (first, second) : (second, first);
                libraryRates.Add(ofLibrary);
                handRates.Add(ofHand);
                ratios.Add(ofLibrary / ofHand);
            }

            ratios.Sort();
            string line = string.Create(CultureInfo.InvariantCulture,
                $"| {callers} | {Percentile(ratios, 0.5):0.00}× | {Percentile(ratios, 0.1):0.00}× | {Percentile(ratios, 0.9):0.00}× | {ratios.Count(r => r > 1)} of {pairs} | {1e6 / Median(libraryRates):0.0} | {1e6 / Median(handRates):0.0} |");
            lines.Add(line);
            Console.WriteLine(line);
        }

        File.WriteAllLines(Path.Combine(EndToEndReport.FindRepositoryRoot(), "benchmarks", "results", "FleetPairedRounds.md"), lines);
        Console.WriteLine(string.Join(Environment.NewLine, lines));
    }

    // Calls per second from `callers` concurrent loops until `duration` has passed.
    private static async Task<double> RateAsync(Func<int, Task> call, int callers, TimeSpan duration)
    {
        int next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < duration)
            {
                await call(Interlocked.Increment(ref next));
            }
        })));
        return (next + 1) / clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values) => Percentile([.. values.Order()], 0.5);

    private static double Percentile(List<double> sorted, double p) => sorted[(int)Math.Round(p * (sorted.Count - 1))];
}

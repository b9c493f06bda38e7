using System.Diagnostics;
using System.Globalization;

namespace PlProxy.Client.Benchmarks;

/// <summary>
/// Where a call's time goes, as counters rather than a timer: for each contender of the end-to-end benchmark, the
/// same number of calls by the same callers, and per call the CPU this process used, the CPU every PostgreSQL and pgBouncer
/// process used, the bytes allocated, the thread-pool work items run, the lock contentions and the context switches of this
/// process's threads. A contender that does more client work per call shows it here even when the wall clock is noisy.
/// Run with <c>dotnet run -c Release --project benchmarks/PlProxy.Client.Benchmarks -- --counters</c>; <c>--counters 8 direct</c>
/// runs only 8 callers and the direct contenders (hand-routed, the client, hand-routed with multiplexing), for quick comparisons, and writes no file.
/// </summary>
internal static class CallCounters
{
    private const int Calls = 20_000;

    public static async Task RunAsync(int[] callerCounts, bool directOnly, bool fleet = false)
    {
        BenchmarkEnvironment environment = BenchmarkEnvironment.Instance;
        IBenchUserDb client = environment.Client.CreateProxy<IBenchUserDb>();
        IBenchUserDb clientPooled = environment.ClientPooled.CreateProxy<IBenchUserDb>();
        (string Name, Func<string, Task<decimal?>> Call)[] contenders =
        [
            ("HandRoutedNpgsqlTuned", user => BenchmarkEnvironment.HandRoutedBalanceAsync(environment.HandRoutedTuned, user)),
            ("PlProxyClient", user => client.GetBalanceAsync(user)),
            ("HandRoutedNpgsqlMultiplexing", user => BenchmarkEnvironment.HandRoutedBalanceAsync(environment.HandRoutedMultiplexing, user)),
            ("ServerSidePlProxyTuned", user => BenchmarkEnvironment.BalanceAsync(environment.ServerSideTuned, user)),
            ("HandRoutedNpgsqlViaPgBouncer", user => BenchmarkEnvironment.HandRoutedBalanceAsync(environment.HandRoutedPooled, user)),
            ("PlProxyClientViaPgBouncer", user => clientPooled.GetBalanceAsync(user)),
            ("HandRoutedNpgsqlSameCap", user => BenchmarkEnvironment.HandRoutedBalanceAsync(environment.HandRoutedCapped, user)),
        ];
        if (fleet)
        {
            // The fleet question: the library's defaults against hand-routed Npgsql with its default pool and with the same cap.
            contenders = [contenders[0], contenders[^1], contenders[1]];
        }

        var lines = new List<string>
        {
            $"Per call, over {Calls:N0} calls after {Calls / 10:N0} warm-up calls (`--counters`).",
            "",
            "| Contender | Callers | µs wall | µs CPU client | µs CPU servers | B allocated | pool work items | lock contentions | context switches |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        };
        foreach (int callers in callerCounts)
        {
            foreach ((string name, Func<string, Task<decimal?>> call) in directOnly ? contenders[..3] : fleet ? contenders : contenders[..^1])
            {
                await RunAsync(environment.Usernames, callers, Calls / 10, call);
                Sample before = Sample.Take();
                await RunAsync(environment.Usernames, callers, Calls, call);
                Sample after = Sample.Take();
                string line = after.Minus(before).Line(name, callers, Calls);
                lines.Add(line);
                Console.WriteLine(line);
            }
        }

        if (!directOnly)
        {
            File.WriteAllLines(Path.Combine(EndToEndReport.FindRepositoryRoot(), "benchmarks", "results", fleet ? "FleetCounters.md" : "CallCounters.md"), lines);
        }
    }

    private static Task RunAsync(string[] users, int callers, int calls, Func<string, Task<decimal?>> call) =>
        Task.WhenAll(Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
        {
            var random = new Random(caller);
            for (int i = 0; i < calls / callers; i++)
            {
                if (await call(users[random.Next(users.Length)]).ConfigureAwait(false) != 100m)
                {
                    throw new InvalidOperationException("Wrong balance.");
                }
            }
        })));

    private readonly record struct Sample(long Ticks, TimeSpan ClientCpu, double ServerCpuSeconds, long Allocated, long WorkItems, long Contentions, long ContextSwitches)
    {
        public static Sample Take()
        {
            using var process = Process.GetCurrentProcess();
            return new Sample(
                Stopwatch.GetTimestamp(),
                process.TotalProcessorTime,
                ReadServerCpuSeconds(),
                GC.GetTotalAllocatedBytes(precise: true),
                ThreadPool.CompletedWorkItemCount,
                Monitor.LockContentionCount,
                ContextSwitchesOfThisProcess());
        }

        public Sample Minus(Sample other) => new(
            Ticks - other.Ticks,
            ClientCpu - other.ClientCpu,
            ServerCpuSeconds - other.ServerCpuSeconds,
            Allocated - other.Allocated,
            WorkItems - other.WorkItems,
            Contentions - other.Contentions,
            ContextSwitches - other.ContextSwitches);

        public string Line(string name, int callers, int calls) => string.Create(
            CultureInfo.InvariantCulture,
            $"| {name} | {callers} | {Ticks * 1e6 / Stopwatch.Frequency / calls:0.0} | {ClientCpu.TotalMicroseconds / calls:0.0} | {ServerCpuSeconds * 1e6 / calls:0.0} | {Allocated / (double)calls:0} | {WorkItems / (double)calls:0.00} | {Contentions / (double)calls:0.000} | {ContextSwitches / (double)calls:0.00} |");

        // utime + stime of every PostgreSQL process (the server, its backends, PL/Proxy's own connections) and pgBouncer.
        private static double ReadServerCpuSeconds()
        {
            double ticks = 0;
            foreach (string directory in Directory.EnumerateDirectories("/proc"))
            {
                if (!char.IsAsciiDigit(Path.GetFileName(directory)[0]))
                {
                    continue;
                }

                try
                {
                    string stat = File.ReadAllText(Path.Combine(directory, "stat"));
                    int open = stat.IndexOf('(');
                    int close = stat.LastIndexOf(')');
                    string command = open >= 0 && close > open ? stat[(open + 1)..close] : "";
                    if (!command.StartsWith("postgres", StringComparison.Ordinal) && !command.StartsWith("pgbouncer", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    string[] fields = stat[(close + 2)..].Split(' ');
                    ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // the process ended while being read
                }
            }

            return ticks / 100.0; // USER_HZ
        }

        private static long ContextSwitchesOfThisProcess()
        {
            long total = 0;
            foreach (string thread in Directory.EnumerateDirectories("/proc/self/task"))
            {
                IEnumerable<string> lines;
                try
                {
                    lines = File.ReadAllLines(Path.Combine(thread, "status"));
                }
                catch (IOException)
                {
                    continue; // the thread ended while being read
                }

                foreach (string line in lines)
                {
                    if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                    {
                        total += long.Parse(line[(line.IndexOf(':') + 1)..].Trim(), CultureInfo.InvariantCulture);
                    }
                }
            }

            return total;
        }
    }
}

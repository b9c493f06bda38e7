using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;
using Npgsql;

namespace PlProxy.Client.Benchmarks;

/// <summary>
/// Where the dispatcher's bytes go: the runtime's allocation sampling (an event about every 100 KB allocated, naming
/// the type) over a million scalar calls through the in-memory partitions, summed by type.
/// Run with <c>dotnet run -c Release --project benchmarks/PlProxy.Client.Benchmarks -- --allocations</c>
/// (<c>--allocations end-to-end</c>: over real local partitions).
/// </summary>
internal static class DispatcherProfile
{
    private const int Calls = 1_000_000;

    public static async Task AllocationsAsync()
    {
        var benchmark = new DispatcherBenchmarks();
        benchmark.Setup();
        Write(await ProfileAsync("Scalar hash call through the in-memory dispatcher", benchmark.ScalarHashCall, Calls), "DispatcherAllocations.md");
        benchmark.Cleanup();
    }

    /// <summary>The same over the end-to-end benchmark's direct partitions: what a real call allocates, by type.</summary>
    public static async Task EndToEndAllocationsAsync()
    {
        IBenchUserDb client = BenchmarkEnvironment.Instance.Client.CreateProxy<IBenchUserDb>();
        string[] users = BenchmarkEnvironment.Instance.Usernames;
        NpgsqlDataSource[] partitions = BenchmarkEnvironment.Instance.HandRoutedTuned;
        int next = 0;
        List<string> lines = await ProfileAsync("Scalar hash call over local PostgreSQL partitions, one caller", () => client.GetBalanceAsync(users[next++ % users.Length]), Calls / 20);
        lines.Add("");
        lines.AddRange(await ProfileAsync("The same call routed by hand (tuned Npgsql, the end-to-end baseline)", () => BenchmarkEnvironment.HandRoutedBalanceAsync(partitions, users[next++ % users.Length]), Calls / 20));
        IBenchUserDb pooled = BenchmarkEnvironment.Instance.ClientPooled.CreateProxy<IBenchUserDb>();
        lines.Add("");
        lines.AddRange(await ProfileAsync("Through pgBouncer (statement mode): the client", () => pooled.GetBalanceAsync(users[next++ % users.Length]), Calls / 20));
        lines.Add("");
        lines.AddRange(await ProfileAsync("Through pgBouncer (statement mode): routed by hand", () => BenchmarkEnvironment.HandRoutedBalanceAsync(BenchmarkEnvironment.Instance.HandRoutedPooled, users[next++ % users.Length]), Calls / 20));
        Write(lines, "EndToEndAllocations.md");
    }

    /// <summary>
    /// One caller's sequential calls through the generated proxy, then the same through tuned hand-routed Npgsql, each
    /// timed; run under a CPU profiler to see where the library's own time per call goes.
    /// </summary>
    public static Task OneCallerAsync(int calls) => RoundsAsync(1, calls);

    /// <summary>
    /// One contender's calls alone (<c>library</c>, <c>hand-routed</c> or <c>multiplexing</c>): warm-up calls, then
    /// <paramref name="calls"/> calls from <paramref name="callers"/> concurrent callers, their time printed; the
    /// process does nothing else meanwhile, so a profiler attached to it sees only that contender.
    /// </summary>
    public static async Task SoloAsync(string contender, int callers, int calls)
    {
        BenchmarkEnvironment environment = BenchmarkEnvironment.Instance;
        string[] users = environment.Usernames;
        IBenchUserDb client = environment.Client.CreateProxy<IBenchUserDb>();
        Func<int, Task<decimal?>> call = contender switch
        {
            "library" => i => client.GetBalanceAsync(users[i % users.Length]),
            "hand-routed" => i => BenchmarkEnvironment.HandRoutedBalanceAsync(environment.HandRoutedTuned, users[i % users.Length]),
            "multiplexing" => i => BenchmarkEnvironment.HandRoutedBalanceAsync(environment.HandRoutedMultiplexing, users[i % users.Length]),
            _ => throw new ArgumentException($"No contender '{contender}': library, hand-routed or multiplexing.", nameof(contender)),
        };
        for (int pass = 0; pass < 2; pass++)
        {
            double microseconds = await MicrosecondsPerCallAsync(call, callers, calls);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(pass == 0 ? "warm-up" : "measured")} {contender} ({callers} callers): {microseconds:0.0} µs per call"));
        }
    }

    // One timed round: `calls` calls shared among `callers` concurrent loops, the wall time per call.
    private static async Task<double> MicrosecondsPerCallAsync(Func<int, Task<decimal?>> call, int callers, int calls)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        int next = -1;
        await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
        {
            for (int i = Interlocked.Increment(ref next); i < calls; i = Interlocked.Increment(ref next))
            {
                await call(i);
            }
        })));
        return System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMicroseconds / calls;
    }

    /// <summary>
    /// The second, simpler harness: interleaved rounds of <paramref name="calls"/> calls from <paramref name="callers"/>
    /// concurrent callers per contender, each round timed (no BenchmarkDotNet), to check a surprising ratio.
    /// </summary>
    public static async Task RoundsAsync(int callers, int calls)
    {
        IBenchUserDb client = BenchmarkEnvironment.Instance.Client.CreateProxy<IBenchUserDb>();
        string[] users = BenchmarkEnvironment.Instance.Usernames;
        NpgsqlDataSource[] partitions = BenchmarkEnvironment.Instance.HandRoutedTuned;
        PlProxyDataSource Variant(Action<Configuration.PlProxyClusterOptions> configure) => PlProxyDataSource.Create(new Configuration.PlProxyOptions().AddCluster("userdb", cluster =>
        {
            foreach (string partition in BenchmarkEnvironment.Instance.Partitions)
            {
                cluster.Partitions.Add(partition);
            }

            configure(cluster);
        }));
        IBenchUserDb noPipeline = Variant(c =>
        {
            c.Retry.MaxRetryAttempts = 0;
            c.CircuitBreaker.Enabled = false;
        }).CreateProxy<IBenchUserDb>();
        IBenchUserDb noCap = Variant(c => c.MaxConnectionsPerPartition = null).CreateProxy<IBenchUserDb>();
        IBenchUserDb noRetries = Variant(c => c.Retry.MaxRetryAttempts = 0).CreateProxy<IBenchUserDb>();
        IBenchUserDb noBreaker = Variant(c => c.CircuitBreaker.Enabled = false).CreateProxy<IBenchUserDb>();
        IBenchUserDb capTwo = Variant(c => c.MaxConnectionsPerPartition = 2).CreateProxy<IBenchUserDb>();
        for (int round = 0; round < 8; round++)
        {
            foreach ((string name, Func<int, Task<decimal?>> call) in ((string, Func<int, Task<decimal?>>)[])[
                ("PlProxyClient", i => client.GetBalanceAsync(users[i % users.Length])),
                ("PlProxyClient without retries and breaker", i => noPipeline.GetBalanceAsync(users[i % users.Length])),
                ("PlProxyClient without a connection cap", i => noCap.GetBalanceAsync(users[i % users.Length])),
                ("PlProxyClient without retries", i => noRetries.GetBalanceAsync(users[i % users.Length])),
                ("PlProxyClient without the breaker", i => noBreaker.GetBalanceAsync(users[i % users.Length])),
                ("PlProxyClient with 2 connections per partition", i => capTwo.GetBalanceAsync(users[i % users.Length])),
                ("HandRoutedNpgsqlTuned", i => BenchmarkEnvironment.HandRoutedBalanceAsync(partitions, users[i % users.Length])),
                ("HandRoutedNpgsqlSameCap", i => BenchmarkEnvironment.HandRoutedBalanceAsync(BenchmarkEnvironment.Instance.HandRoutedCapped, users[i % users.Length]))])
            {
                double microseconds = await MicrosecondsPerCallAsync(call, callers, calls);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round} {name} ({callers} callers): {microseconds:0.0} µs per call"));
            }
        }
    }

    private static void Write(List<string> lines, string file)
    {
        string path = Path.Combine(EndToEndReport.FindRepositoryRoot(), "benchmarks", "results", file);
        File.WriteAllLines(path, lines);
        Console.WriteLine(string.Join(Environment.NewLine, lines));
    }

    private static async Task<List<string>> ProfileAsync<T>(string title, Func<Task<T>> call, int calls)
    {
        for (int i = 0; i < 10_000; i++)
        {
            await call();
        }

        using var listener = new AllocationListener();
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < calls; i++)
        {
            await call();
        }

        long bytes = GC.GetTotalAllocatedBytes(precise: true) - before;
        await Task.Delay(500); // let the last events arrive

        long sampled = listener.Bytes.Values.Sum();
        var lines = new List<string>
        {
            $"{title}: {bytes / (double)calls:0} B per call over {calls:N0} calls.",
            "",
            "| Type | Share of sampled bytes | ≈ B per call |",
            "|---|---:|---:|",
        };
        foreach ((string type, long typeBytes) in listener.Bytes.OrderByDescending(p => p.Value))
        {
            double share = typeBytes / (double)sampled;
            if (share * bytes / calls < 1)
            {
                continue; // the listener's own events and rare one-offs
            }

            lines.Add(string.Create(CultureInfo.InvariantCulture, $"| `{Shorten(type)}` | {share:P0} | {share * bytes / calls:0} |"));
        }

        return lines;
    }

    // An async state machine's box named by its method, not by the generic arguments of everything it captures.
    private static string Shorten(string type)
    {
        if (!type.StartsWith("AsyncStateMachineBox", StringComparison.Ordinal))
        {
            return type;
        }

        int comma = type.IndexOf(',');
        string machine = type[(comma + 1)..];
        int generic = machine.IndexOfAny(['[', '`']);
        return $"async {(generic > 0 ? machine[..generic] : machine)}";
    }

    private sealed class AllocationListener : EventListener
    {
        public ConcurrentDictionary<string, long> Bytes { get; } = new();

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword: AllocationTick
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) == true && eventData.Payload is { } payload)
            {
                int nameIndex = eventData.PayloadNames!.IndexOf("TypeName");
                int sizeIndex = eventData.PayloadNames.IndexOf("AllocationAmount64");
                string type = nameIndex >= 0 ? payload[nameIndex] as string ?? "?" : "?";
                long size = sizeIndex >= 0 ? Convert.ToInt64(payload[sizeIndex], CultureInfo.InvariantCulture) : 0;
                Bytes.AddOrUpdate(type, size, (_, total) => total + size);
            }
        }
    }
}

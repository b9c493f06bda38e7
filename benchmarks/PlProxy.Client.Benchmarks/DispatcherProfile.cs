using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace PlProxy.Client.Benchmarks;

/// <summary>
/// Where the dispatcher's bytes go: the runtime's allocation sampling (an event about every 100 KB allocated, naming
/// the type) over a million scalar calls through the in-memory partitions, summed by type.
/// Run with <c>dotnet run -c Release --project benchmarks/PlProxy.Client.Benchmarks -- --allocations</c>.
/// </summary>
internal static class DispatcherProfile
{
    private const int Calls = 1_000_000;

    public static async Task AllocationsAsync()
    {
        var benchmark = new DispatcherBenchmarks();
        benchmark.Setup();
        for (int i = 0; i < 10_000; i++)
        {
            await benchmark.ScalarHashCall();
        }

        using var listener = new AllocationListener();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Calls; i++)
        {
            await benchmark.ScalarHashCall();
        }

        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        benchmark.Cleanup();
        await Task.Delay(500); // let the last events arrive

        long sampled = listener.Bytes.Values.Sum();
        var lines = new List<string>
        {
            $"Scalar hash call through the in-memory dispatcher: {bytes / (double)Calls:0} B per call over {Calls:N0} calls.",
            "",
            "| Type | Share of sampled bytes | ≈ B per call |",
            "|---|---:|---:|",
        };
        foreach ((string type, long typeBytes) in listener.Bytes.OrderByDescending(p => p.Value))
        {
            double share = typeBytes / (double)sampled;
            if (share * bytes / Calls < 1)
            {
                continue; // the listener's own events and rare one-offs
            }

            lines.Add(string.Create(CultureInfo.InvariantCulture, $"| `{type}` | {share:P0} | {share * bytes / Calls:0} |"));
        }

        string path = Path.Combine(EndToEndReport.FindRepositoryRoot(), "benchmarks", "results", "DispatcherAllocations.md");
        File.WriteAllLines(path, lines);
        Console.WriteLine(string.Join(Environment.NewLine, lines));
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

using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/PlProxy.Client.Benchmarks -- --filter '*'
// dotnet run -c Release --project benchmarks/PlProxy.Client.Benchmarks -- --short   (end to end and fan-out, fewer iterations)
// dotnet run -c Release --project benchmarks/PlProxy.Client.Benchmarks -- --allocations   (the dispatcher's allocations by type)
// dotnet run -c Release --project benchmarks/PlProxy.Client.Benchmarks -- --counters   (per call: CPU of client and servers, allocations, thread-pool items, switches)
// dotnet run -c Release --project benchmarks/PlProxy.Client.Benchmarks -- --solo library 1 60000   (one contender alone, for eng/profile.sh)
if (args is ["--one-caller", ..])
{
    // One caller's sequential calls through the generated proxy, for a CPU profile:
    // dotnet-trace collect --profile dotnet-sampled-thread-time -o one-caller.nettrace -- dotnet PlProxy.Client.Benchmarks.dll --one-caller 20000
    await PlProxy.Client.Benchmarks.DispatcherProfile.OneCallerAsync(args is [_, var count, ..] ? int.Parse(count, System.Globalization.CultureInfo.InvariantCulture) : 20_000);
    return;
}

if (args is ["--reshard-scale", ..])
{
    // The resharding scale run: 16 -> 32 partitions over 4 local servers, 2 million rows, 3 writer processes.
    int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    Environment.ExitCode = await PlProxy.Client.Benchmarks.ReshardScale.RunAsync(Arg(1, 2_000_000), Arg(2, 16), Arg(3, 4));
    return;
}

if (args is ["--solo", var soloContender, var soloCallers, var soloCalls])
{
    // One contender alone, for a profiler attached to the whole process (perf record with DOTNET_PerfMapEnabled=1):
    // library, hand-routed or multiplexing; N callers, M calls after as many warm-up calls.
    await PlProxy.Client.Benchmarks.DispatcherProfile.SoloAsync(soloContender, int.Parse(soloCallers, System.Globalization.CultureInfo.InvariantCulture), int.Parse(soloCalls, System.Globalization.CultureInfo.InvariantCulture));
    return;
}

if (args is ["--rounds", var roundCallers, var roundCalls])
{
    // A second, simpler harness for a surprising ratio: interleaved timed rounds, N callers, M calls per round.
    await PlProxy.Client.Benchmarks.DispatcherProfile.RoundsAsync(int.Parse(roundCallers, System.Globalization.CultureInfo.InvariantCulture), int.Parse(roundCalls, System.Globalization.CultureInfo.InvariantCulture));
    return;
}

if (args is ["--paired", var pairedCallers, var pairs])
{
    // A third look at an unsettled ratio: the library and hand-routed Npgsql in short alternating rounds, ratio per pair.
    await PlProxy.Client.Benchmarks.PairedRounds.RunAsync(
        [.. pairedCallers.Split(',').Select(c => int.Parse(c, System.Globalization.CultureInfo.InvariantCulture))],
        int.Parse(pairs, System.Globalization.CultureInfo.InvariantCulture));
    return;
}

if (args is ["--allocations", "end-to-end"])
{
    await PlProxy.Client.Benchmarks.DispatcherProfile.EndToEndAllocationsAsync();
    return;
}

if (args is ["--allocations"])
{
    await PlProxy.Client.Benchmarks.DispatcherProfile.AllocationsAsync();
    return;
}

if (args is ["--fleet-counters"])
{
    // Per call at 1-128 callers, server CPU included: the library's defaults, hand-routed Npgsql, hand-routed at the same cap.
    await PlProxy.Client.Benchmarks.CallCounters.RunAsync([1, 8, 32, 128], directOnly: false, fleet: true);
    return;
}

if (args is ["--counters", ..])
{
    await PlProxy.Client.Benchmarks.CallCounters.RunAsync(
        args is [_, var callers, ..] ? [int.Parse(callers, System.Globalization.CultureInfo.InvariantCulture)] : [1, 8],
        directOnly: args is [_, _, "direct"]);
    return;
}

if (args is ["--long", ..])
{
    PlProxy.Client.Benchmarks.EndToEndConfig.Long = true;
    args = args[1..];
}

if (args is ["--short", ..])
{
    PlProxy.Client.Benchmarks.EndToEndConfig.Short = true;
    args = ["--filter", "*EndToEndBenchmarks*", "*FanOutBenchmarks*", .. args[1..]];
}

BenchmarkSwitcher.FromAssembly(typeof(PlProxy.Client.Benchmarks.HashBenchmarks).Assembly).Run(args);

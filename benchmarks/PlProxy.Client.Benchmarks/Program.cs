using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/PlProxy.Client.Benchmarks -- --filter '*'
// dotnet run -c Release --project benchmarks/PlProxy.Client.Benchmarks -- --short   (end to end and fan-out, fewer iterations)
// dotnet run -c Release --project benchmarks/PlProxy.Client.Benchmarks -- --allocations   (the dispatcher's allocations by type)
if (args is ["--allocations"])
{
    await PlProxy.Client.Benchmarks.DispatcherProfile.AllocationsAsync();
    return;
}

if (args is ["--short", ..])
{
    PlProxy.Client.Benchmarks.EndToEndConfig.Short = true;
    args = ["--filter", "*EndToEndBenchmarks*", "*FanOutBenchmarks*", .. args[1..]];
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

/// <summary>The entry point's type, named for BenchmarkSwitcher.</summary>
public static partial class Program;

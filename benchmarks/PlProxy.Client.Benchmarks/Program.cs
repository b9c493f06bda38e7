using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/PlProxy.Client.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

/// <summary>The entry point's type, named for BenchmarkSwitcher.</summary>
public static partial class Program;

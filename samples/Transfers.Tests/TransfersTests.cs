using System.Diagnostics;
using Npgsql;
using PlProxy.Client;
using PlProxy.Client.Configuration;
using PlProxy.Client.Testing;

namespace Transfers.Tests;

/// <summary>
/// Writes that span partitions through PgQ: the sum of all balances is the same before and after, with concurrent
/// producers and a consumer process killed (SIGKILL) while it applies credits; each transfer is credited exactly once.
/// </summary>
public sealed class TransfersTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sample_RunAsANewcomerRunsIt_KeepsTheTotalAndExitsZero()
    {
        (int exitCode, string output) = await RunAsync([], stdin: null, TimeSpan.FromSeconds(120));

        Assert.True(exitCode == 0, output);
        Assert.Matches(@"total of all balances before: \d+, after the queues drained: \d+ — unchanged", output);
    }

    [Fact]
    public async Task Transfers_WithConcurrentProducersAndAKilledConsumer_CreditEachTransferOnceAndKeepTheTotal()
    {
        await using LocalPartitions local = await LocalPartitions.StartAsync(4, Bank.PartitionSchema, prefix: "xfer", cancellationToken: Token);
        string[] partitions = [.. local.ConnectionStrings];
        await Bank.OpenAccountsAsync(partitions, 100, 1000m, Token);
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("bank", partitions));
        IBank bank = source.CreateProxy<IBank>();
        decimal before = (await bank.PartitionTotalAsync(Token)).Sum();
        using var ticking = new CancellationTokenSource();
        Task ticker = Bank.TickAsync(partitions, TimeSpan.FromMilliseconds(100), ticking.Token);

        Process consumer = StartConsumer(partitions);
        Task producers = Task.WhenAll(Enumerable.Range(0, 3).Select(async producer =>
        {
            var random = new Random(producer);
            for (int i = 0; i < 300; i++)
            {
                await bank.DebitAsync(Bank.Account(random.Next(100)), Bank.Account(random.Next(100)), random.Next(1, 20), $"t{producer}-{i}", Token);
            }
        }));
        await WaitForCreditsAsync(partitions, 50); // the consumer is applying credits
        consumer.Kill(); // SIGKILL, mid-stream
        await consumer.WaitForExitAsync(Token);
        consumer.Dispose();
        consumer = StartConsumer(partitions);
        await producers;
        await WaitForCreditsAsync(partitions, 900);
        await consumer.StandardInput.WriteLineAsync();
        await consumer.WaitForExitAsync(Token);
        consumer.Dispose();
        await ticking.CancelAsync();
        await ticker;

        Assert.Equal(900, await CreditedAsync(partitions));
        Assert.Equal(before, (await bank.PartitionTotalAsync(Token)).Sum());
    }

    private static Process StartConsumer(string[] partitions)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in (string[])[Path.Combine(AppContext.BaseDirectory, "Transfers.dll"), "consume", .. partitions])
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }

    // Transfers credited so far, over every partition.
    private static async Task<long> CreditedAsync(string[] partitions)
    {
        long credited = 0;
        foreach (string partition in partitions)
        {
            await using var database = NpgsqlDataSource.Create(partition);
            await using NpgsqlCommand count = database.CreateCommand("select count(*) from credited");
            credited += (long)(await count.ExecuteScalarAsync(Token))!;
        }

        return credited;
    }

    private static async Task WaitForCreditsAsync(string[] partitions, long count)
    {
        var waited = Stopwatch.StartNew();
        while (await CreditedAsync(partitions) < count)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(90), $"fewer than {count} credits after 90 s");
            await Task.Delay(100, Token);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string[] arguments, string? stdin, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null };
        foreach (string argument in (string[])[Path.Combine(AppContext.BaseDirectory, "Transfers.dll"), .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(Token);
        Task<string> errors = process.StandardError.ReadToEndAsync(Token);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Token);
        limit.CancelAfter(timeout);
        await process.WaitForExitAsync(limit.Token);
        return (process.ExitCode, await output + await errors);
    }
}

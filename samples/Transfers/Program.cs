using System.Diagnostics;
using PlProxy.Client;
using PlProxy.Client.Configuration;
using PlProxy.Client.Testing;
using Transfers;

// Writes that span partitions, the PL/Proxy way: a transfer debits the payer on its partition and, in that same
// transaction, queues the credit as a PgQ event; a consumer applies the credit on the payee's partition through the
// generated proxy, idempotently. The sum of all balances never changes once the queues are drained.
//
//   dotnet run --project samples/Transfers                          local partitions, producers, consumer, the invariant
//   dotnet run --project samples/Transfers -- consume <cs0> <cs1>...  only the consumer, until Enter (the tests kill it)
if (args is ["consume", .. var given])
{
    using PlProxyDataSource consumerSource = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("bank", given));
    using var stop = new CancellationTokenSource();
    Task<long> consuming = Bank.ConsumeAsync(given, consumerSource.CreateProxy<IBank>(), untilDrained: false, stop.Token);
    Console.WriteLine("consuming");
    await Console.In.ReadLineAsync();
    await stop.CancelAsync();
    Console.WriteLine($"credits applied: {await consuming}");
    return 0;
}

Console.WriteLine("Starting a local PostgreSQL with 4 bank partitions (PgQ queue 'transfers' on each) ...");
await using LocalPartitions local = await LocalPartitions.StartAsync(4, Bank.PartitionSchema, prefix: "bank");
string[] partitions = [.. local.ConnectionStrings];
await Bank.OpenAccountsAsync(partitions, 200, 1000m);
using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("bank", partitions));
IBank bank = source.CreateProxy<IBank>();
decimal before = (await bank.PartitionTotalAsync()).Sum();

using var running = new CancellationTokenSource();
Task ticker = Bank.TickAsync(partitions, TimeSpan.FromMilliseconds(200), running.Token);
var lags = new List<TimeSpan>();
Task<long> consumer = Bank.ConsumeAsync(partitions, bank, untilDrained: false, running.Token, lags);
var clock = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, 4).Select(async producer =>
{
    var random = new Random(producer);
    for (int i = 0; i < 250; i++)
    {
        string payer = Bank.Account(random.Next(200)), payee = Bank.Account(random.Next(200));
        await bank.DebitAsync(payer, payee, random.Next(1, 50), $"t{producer}-{i}");
    }
}));
Console.WriteLine($"1000 transfers debited by 4 producers in {clock.Elapsed.TotalSeconds:0.0} s; credits follow through the queues");
await running.CancelAsync();
await ticker;
long applied = await consumer;
await Bank.DrainAsync(partitions, bank, CancellationToken.None);

decimal after = (await bank.PartitionTotalAsync()).Sum();
Console.WriteLine($"total of all balances before: {before}, after the queues drained: {after} — {(before == after ? "unchanged" : "CHANGED")}");
Console.WriteLine($"credits applied while producing: {applied} (the rest when draining)");
if (lags.Count > 0)
{
    TimeSpan[] sorted = [.. lags.Order()];
    Console.WriteLine($"credit lag under load (debit to credit; queue ticked every 0.2 s): median {sorted[sorted.Length / 2].TotalMilliseconds:0} ms, p99 {sorted[(int)(sorted.Length * 0.99)].TotalMilliseconds:0} ms, max {sorted[^1].TotalMilliseconds:0} ms");
}
return before == after ? 0 : 1;

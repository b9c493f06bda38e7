using System.Diagnostics;
using PlProxy.Client;
using PlProxy.Client.Configuration;
using PlProxy.Client.Testing;
using Resharding;

// The "Moving and splitting partitions" walkthrough (README):
//   dotnet run --project samples/Resharding -- setup                     a local cluster of 4 partitions and 4 spare databases
//   dotnet run --project samples/Resharding -- write --proxy "<proxy>"   writes through the cluster until you press Enter
// and meanwhile `plproxy split` / `plproxy move` as `setup` prints them.
//
// `write` prints one line per write: "ack <id> <key> <milliseconds> <time acknowledged>" once the write is acknowledged, or
// "error <id> <key> <message>"; on Enter (or end of input) it finishes the writes in flight and prints a summary.
return args switch
{
    ["setup", ..] => await SetupAsync(),
    ["write", "--proxy", string proxy, .. var rest] => await WriteAsync(proxy, rest is ["--writer", string writer, ..] ? writer : "w"),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Resharding setup | Resharding write --proxy \"<proxy database>\" [--writer <name>]");
    return 1;
}

static async Task<int> SetupAsync()
{
    Console.WriteLine("Starting a local PostgreSQL (wal_level = logical) with cluster 'users': 4 partitions, 4 spare databases ...");
    await using LocalPostgresServer server = await LocalPostgresServer.StartAsync(DemoCluster.ServerOptions());
    DemoCluster cluster = await DemoCluster.CreateAsync(server, "users", 4, 4);
    string tool = "dotnet run --project src/PlProxy.Client.Tool --";
    Console.WriteLine($"""

        Proxy database: {cluster.Proxy}

        1. Write through the cluster (another terminal):
           dotnet run --project samples/Resharding -- write --proxy "{cluster.Proxy}"
        2. Split it from 4 to 8 partitions while the writes go on:
           {tool} split --proxy "{cluster.Proxy}" --cluster users --to {string.Join(' ', cluster.Spares.Select(s => $"\"{s}\""))}
           or move partition 2 to a spare database:
           {tool} move --proxy "{cluster.Proxy}" --cluster users --partition 2 --to "{cluster.Spares[0]}"
        3. Check every row is where its key maps, and look at the cluster:
           {tool} verify --proxy "{cluster.Proxy}" --cluster users
           {tool} status --proxy "{cluster.Proxy}" --cluster users

        Press Enter to stop the server and delete its data.
        """);
    await Console.In.ReadLineAsync();
    return 0;
}

static async Task<int> WriteAsync(string proxy, string writer)
{
    using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().UseProxyDatabase(proxy));
    IWrites writes = source.CreateProxy<IWrites>();
    using var stop = new CancellationTokenSource();
    long acknowledged = 0, failed = 0, longest = 0;
    var output = new object();

    async Task LoopAsync(int loop)
    {
        var random = new Random(HashCode.Combine(writer, loop));
        for (long n = 0; !stop.IsCancellationRequested; n++)
        {
            string id = $"{writer}-{loop}-{n}";
            string key = $"user{random.Next(1000)}";
            var clock = Stopwatch.StartNew();
            try
            {
                await writes.RecordWriteAsync(id, key);
                long waited = clock.ElapsedMilliseconds;
                lock (output)
                {
                    acknowledged++;
                    longest = Math.Max(longest, waited);
                    Console.WriteLine($"ack {id} {key} {waited} {DateTime.Now:HH:mm:ss.fff}");
                }
            }
            catch (PlProxyException e)
            {
                lock (output)
                {
                    failed++;
                    Console.WriteLine($"error {id} {key} {e.Message.ReplaceLineEndings(" ")}");
                }
            }

            await Task.Delay(2); // a service writing steadily, not a benchmark: the machine keeps room for the operation
        }
    }

    Task[] loops = [.. Enumerable.Range(0, 2).Select(LoopAsync)];
    await Console.In.ReadLineAsync();
    await stop.CancelAsync();
    await Task.WhenAll(loops);
    Console.WriteLine($"done {writer}: {acknowledged} acknowledged, {failed} failed, longest {longest} ms");
    return 0;
}

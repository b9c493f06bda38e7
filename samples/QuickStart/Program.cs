using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PlProxy.Client;
using PlProxy.Client.Hashing;
using PlProxy.Client.Testing;
using QuickStart;

// dotnet run --project samples/QuickStart                       local partitions, started and deleted by the sample
// dotnet run --project samples/QuickStart -- --cluster cs0 cs1 ...  your own partition databases (a power of two)
string[] given = args.SkipWhile(a => a != "--cluster").Skip(1).ToArray();
LocalPartitions? local = null;
LocalPartitions? geo = null;
string[] partitions;
if (given.Length > 0)
{
    Console.WriteLine($"Using {given.Length} partition databases from the command line.");
    partitions = given;
    foreach (string connectionString in partitions)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using NpgsqlCommand deploy = dataSource.CreateCommand(Schema.Sql);
        await deploy.ExecuteNonQueryAsync();
    }
}
else
{
    Console.WriteLine("Starting a local PostgreSQL with 4 partition databases (no configuration given) ...");
    local = await LocalPartitions.StartAsync(4, Schema.Sql);
    partitions = [.. local.ConnectionStrings];
    geo = await LocalPartitions.StartAsync(4, Schema.Sql, prefix: "geo");
}

try
{
    var services = new ServiceCollection();
    services.AddPlProxy(options =>
        {
            options.AddCluster("userdb", partitions);
            if (geo is not null)
            {
                options.AddCluster("us", geo.ConnectionStrings[0], geo.ConnectionStrings[1]);
                options.AddCluster("row", geo.ConnectionStrings[2], geo.ConnectionStrings[3]);
            }
        })
        .AddProxy<IUserDb>()
        .AddProxy<IGeoDb>();
    await using ServiceProvider provider = services.BuildServiceProvider();
    IUserDb db = provider.GetRequiredService<IUserDb>();

    // One partition per call: each user lives where hashtext(username) & 3 says.
    string[] users = [.. Enumerable.Range(1, 1000).Select(i => $"user{i}")];
    // Bounded concurrency: a thousand calls at once would need more connections than a server allows.
    await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (u, token) => await db.CreateUserAsync(u, 100m, token));
    Console.WriteLine($"\nCreated {users.Length} users, each on its partition (RUN ON hashtext(username)):");
    foreach (string user in new[] { "user1", "user42", "user500", "user999" })
    {
        int partition = Partitions.IndexOf(PgHash.HashText(user), partitions.Length);
        Console.WriteLine($"  {user,-8} -> partition {partition}, balance {await db.GetBalanceAsync(user):0.00}");
    }

    Console.WriteLine($"\nRUN ON ANY ran on: {await db.AnyDatabaseAsync()}");

    Console.WriteLine("\nRUN ON ALL (every partition, in parallel):");
    await foreach (PartitionStats stats in db.GetStatsAsync())
    {
        Console.WriteLine($"  {stats.Db}: {stats.UserCount} users, total {stats.Total:0.00}");
    }

    string[] batch = [.. users.Take(8)];
    IReadOnlyList<string> updated = await db.AddBalancesAsync(batch, [.. batch.Select(_ => 5m)]);
    Console.WriteLine($"\nSPLIT batch of {batch.Length} deposits, each partition got only its users:");
    foreach (string row in updated)
    {
        Console.WriteLine($"  {row}");
    }

    try
    {
        await db.WithdrawAsync("user7", 1_000_000m);
    }
    catch (PlProxyException e)
    {
        Console.WriteLine($"\nA remote error surfaces with its SQLSTATE: {e.SqlState} on partition {e.PartitionIndex} ({e.Database}): {e.Message}");
    }

    if (geo is not null)
    {
        IGeoDb world = provider.GetRequiredService<IGeoDb>();
        Console.WriteLine("\nGeographical split: CLUSTER geo_cluster(country) picks 'us' or 'row':");
        foreach ((string country, string user) in new[] { ("US", "alice"), ("CA", "bob"), ("DE", "carla"), ("JP", "daiki") })
        {
            await world.CreateUserAsync(country, user, 10m);
            Console.WriteLine($"  {user} ({country}) lives in {await world.HomeOfAsync(country, user)}");
        }
    }

    const int timedCalls = 2000;
    var clock = Stopwatch.StartNew();
    await Parallel.ForEachAsync(Enumerable.Range(0, timedCalls), new ParallelOptions { MaxDegreeOfParallelism = 8 },
        async (i, token) => await db.GetBalanceAsync(users[i % users.Length], token));
    clock.Stop();
    Console.WriteLine($"\nTiming: {timedCalls} single-partition calls from 8 callers in {clock.Elapsed.TotalSeconds:0.00} s = {timedCalls / clock.Elapsed.TotalSeconds:0} calls/s");
    Console.WriteLine("\nDone.");
}
finally
{
    if (local is not null)
    {
        await local.DisposeAsync();
    }

    if (geo is not null)
    {
        await geo.DisposeAsync();
    }
}

using System.Diagnostics;
using System.Globalization;
using Failover;
using Npgsql;
using PlProxy.Client;
using PlProxy.Client.Configuration;
using PlProxy.Client.Hashing;
using PlProxy.Client.Testing;

// A primary's failover under load, on one machine: partition 0 is a primary with a synchronous streaming standby
// (one string naming both hosts), partition 1 a server of its own. Several writer processes place orders on both;
// the primary is killed (immediate shutdown, like a crash) and its standby promoted.
//
//   dotnet samples/Failover/bin/Release/net10.0/Failover.dll run [--writers 3] [--before 2] [--down 1] [--after 3]
//
// `run` prints one line per writer and a last line "failover ...": acknowledged writes, lost (acknowledged but not
// on the new primary), duplicated (a row twice: a write sent again after it had committed), how long after the
// promotion partition 0 took writes again, and the longest pause of partition 1 meanwhile.
//
//   Failover.dll writer <partition 0> <partition 1> <writer>   one writer: two callers per partition, from "go" (a line
//   on standard input) until end of input; one line per call: "ack|fail <partition> <id> <unix ms> [sqlstate]".
return args switch
{
    ["run", .. var rest] => await RunAsync(Options(rest)),
    ["writer", string first, string second, string writer] => await WriterAsync(first, second, long.Parse(writer, CultureInfo.InvariantCulture)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Failover run [--writers N] [--before S] [--down S] [--after S]");
    return 1;
}

static Dictionary<string, double> Options(string[] args)
{
    var options = new Dictionary<string, double>(StringComparer.Ordinal) { ["--writers"] = 3, ["--before"] = 2, ["--down"] = 1, ["--after"] = 3 };
    for (int i = 0; i + 1 < args.Length; i += 2)
    {
        options[args[i]] = double.Parse(args[i + 1], CultureInfo.InvariantCulture);
    }

    return options;
}

static async Task<int> RunAsync(Dictionary<string, double> options)
{
    const string Schema = """
        create table orders (id int8 not null, key text not null);
        create function place(i_key text, i_id int8) returns int8 language sql as $$ insert into orders values (i_id, i_key) returning id $$;
        """;
    await using LocalPostgresServer primary = await LocalPostgresServer.StartAsync();
    await primary.CreateDatabaseAsync("orders0");
    await primary.ExecuteAsync("orders0", Schema);
    await using LocalPostgresServer standby = await primary.StartStandbyAsync();
    // Synchronous from now on (set once the standby exists, or every commit would wait for it): a commit is
    // acknowledged once the standby has it, so an acknowledged write survives the primary.
    await primary.ExecuteAsync("postgres", "alter system set synchronous_standby_names = '*'");
    await primary.ExecuteAsync("postgres", "select pg_reload_conf()");
    string replication = await SynchronousStateAsync(primary.ConnectionString());
    await using LocalPostgresServer other = await LocalPostgresServer.StartAsync();
    await other.CreateDatabaseAsync("orders1");
    await other.ExecuteAsync("orders1", Schema);
    string first = $"Host={primary.Host}:{primary.Port},{standby.Host}:{standby.Port};Database=orders0;Username={LocalPostgresServer.Superuser};Timeout=2";
    string second = other.ConnectionString("orders1") + ";Timeout=2";

    int count = (int)options["--writers"];
    var writers = new List<(Process Process, Task<string[]> Lines)>();
    for (int w = 0; w < count; w++)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in (string[])[typeof(IOrders).Assembly.Location, "writer", first, second, (w + 1).ToString(CultureInfo.InvariantCulture)])
        {
            start.ArgumentList.Add(argument);
        }

        Process process = Process.Start(start)!;
        if (await process.StandardOutput.ReadLineAsync() != "ready")
        {
            throw new InvalidOperationException($"writer {w + 1} did not start");
        }

        writers.Add((process, Task.Run(async () => (await process.StandardOutput.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries))));
    }

    foreach ((Process process, _) in writers)
    {
        await process.StandardInput.WriteLineAsync("go");
        await process.StandardInput.FlushAsync();
    }

    await Task.Delay(TimeSpan.FromSeconds(options["--before"]));
    long killed = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    await primary.StopAsync();
    await Task.Delay(TimeSpan.FromSeconds(options["--down"]));
    long promoting = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    await standby.PromoteAsync();
    long promoted = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    await Task.Delay(TimeSpan.FromSeconds(options["--after"]));
    foreach ((Process process, _) in writers)
    {
        process.StandardInput.Close();
    }

    var acked = new List<(int Partition, long Id, long At)>();
    int failed = 0;
    int crashed = 0; // a writer that did not exit 0: a call failed with something other than PlProxyException
    foreach ((Process process, Task<string[]> lines) in writers)
    {
        string[] seen = await lines.WaitAsync(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        crashed += process.ExitCode == 0 ? 0 : 1;
        var calls = seen.Select(l => l.Split(' ')).Where(f => f[0] is "ack" or "fail").ToList();
        acked.AddRange(calls.Where(f => f[0] == "ack").Select(f => (int.Parse(f[1], CultureInfo.InvariantCulture), long.Parse(f[2], CultureInfo.InvariantCulture), long.Parse(f[3], CultureInfo.InvariantCulture))));
        failed += calls.Count(f => f[0] == "fail");
        Console.WriteLine($"writer acked={calls.Count(f => f[0] == "ack")} failed={calls.Count(f => f[0] == "fail")} states={string.Join(',', calls.Where(f => f[0] == "fail").Select(f => f[4]).Distinct())}");
    }

    // What each partition holds now: partition 0 on the promoted standby, partition 1 where it always was.
    Dictionary<long, long> onFirst = await RowsAsync(standby.ConnectionString("orders0"));
    Dictionary<long, long> onSecond = await RowsAsync(second);
    long lost = acked.Count(a => !(a.Partition == 0 ? onFirst : onSecond).ContainsKey(a.Id));
    long duplicated = onFirst.Values.Concat(onSecond.Values).Count(n => n > 1);
    // The first write acknowledged once the promotion began (one acknowledged just after the stop had committed before
    // it: its caller read the answer late). It may come before pg_ctl promote returns.
    long resumed = acked.Where(a => a.Partition == 0 && a.At > promoting).Select(a => a.At).DefaultIfEmpty(long.MaxValue).Min();
    long longestPause = acked.Where(a => a.Partition == 1).Select(a => a.At).Order().Aggregate((Longest: 0L, Last: killed - 1000), (s, at) => (Math.Max(s.Longest, at - s.Last), at)).Longest;
    Console.WriteLine(FormattableString.Invariant(
        $"failover writers={count} crashed={crashed} acked={acked.Count} failed={failed} lost={lost} duplicated={duplicated} acked_first_after_promotion={acked.Count(a => a.Partition == 0 && a.At > promoted)} resume_after_promotion_ms={(resumed == long.MaxValue ? -1 : resumed - promoted)} promotion_ms={promoted - promoting} down_ms={promoted - killed} second_longest_pause_ms={longestPause} replication={replication}"));
    return 0;
}

// The standby's state as the primary sees it, once it is "sync" (waited for up to 10 s).
static async Task<string> SynchronousStateAsync(string primary)
{
    await using var dataSource = NpgsqlDataSource.Create(primary);
    string state = "none";
    for (int i = 0; i < 200 && state != "sync"; i++)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand("select coalesce((select sync_state from pg_stat_replication limit 1), 'none')");
        state = (string)(await command.ExecuteScalarAsync())!;
        await Task.Delay(state == "sync" ? 0 : 50);
    }

    return state;
}

static async Task<Dictionary<long, long>> RowsAsync(string connectionString)
{
    await using var dataSource = NpgsqlDataSource.Create(connectionString);
    await using NpgsqlCommand command = dataSource.CreateCommand("select id, count(*) from orders group by id");
    await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
    var rows = new Dictionary<long, long>();
    while (await reader.ReadAsync())
    {
        rows[reader.GetInt64(0)] = reader.GetInt64(1);
    }

    return rows;
}

static async Task<int> WriterAsync(string first, string second, long writer)
{
    using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("orders", cluster =>
    {
        cluster.Partitions.Add(first);
        cluster.Partitions.Add(second);
    }));
    IOrders orders = source.CreateProxy<IOrders>();
    string[][] keys = [.. Enumerable.Range(0, 2).Select(p => Enumerable.Range(0, 10_000).Select(i => $"customer{i}").Where(k => Partitions.IndexOf(PgHash.HashText(k), 2) == p).Take(50).ToArray())];
    Console.WriteLine("ready");
    _ = Console.ReadLine();
    using var stop = new CancellationTokenSource();
    long next = writer * 1_000_000_000L;
    var output = new System.Collections.Concurrent.BlockingCollection<string>();
    Task[] callers = [.. Enumerable.Range(0, 4).Select(c => Task.Run(async () =>
    {
        int partition = c % 2;
        for (int i = 0; !stop.IsCancellationRequested; i++)
        {
            long id = Interlocked.Increment(ref next);
            try
            {
                await orders.PlaceAsync(keys[partition][i % keys[partition].Length], id);
                output.Add(FormattableString.Invariant($"ack {partition} {id} {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}"));
            }
            catch (PlProxyException e)
            {
                output.Add(FormattableString.Invariant($"fail {partition} {id} {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()} {e.SqlState}"));
                await Task.Delay(20); // a failing partition is not hammered
            }
        }
    }))];
    Task printer = Task.Run(() =>
    {
        foreach (string line in output.GetConsumingEnumerable())
        {
            Console.WriteLine(line);
        }
    });
    _ = Console.ReadLine(); // end of input: stop
    await stop.CancelAsync();
    await Task.WhenAll(callers);
    output.CompleteAdding();
    await printer;
    return 0;
}

using System.Diagnostics;
using System.Globalization;
using Fleet;
using Npgsql;
using PlProxy.Client;
using PlProxy.Client.Configuration;
using PlProxy.Client.Hashing;
using PlProxy.Client.Testing;

// A fleet on one machine: several service instances (processes), each with its own PlProxyDataSource and callers,
// against many partition databases on several PostgreSQL servers whose max_connections is what the README's fleet
// formula gives (instances × partition databases per server × MaxConnectionsPerPartition + reserve).
//
//   dotnet samples/Fleet/bin/Release/net10.0/Fleet.dll run [--servers 4] [--partitions 64] [--instances 16] [--callers 16] [--seconds 8] [--cap 2|off]
//
// `run` starts the servers, starts the instances, lets them call for the given time, samples pg_stat_activity on every
// server meanwhile, and prints one line per instance and a last line "fleet ...": calls, failed, wrong answers, the
// most connections seen on one server, the formula's limit, p50 and p99. With `--cap off` the servers are still sized
// for a cap of 2 and the instances run with Npgsql's pools (100 per database): what a fleet without caps does.
//
//   Fleet.dll instance <partitions file> <callers> <cap|off>   one instance: prints "ready", calls from "go" (a line on
//   standard input) until end of input, then prints "done calls=… failed=… wrong=… p50=… p99=… errors=…".
return args switch
{
    ["run", .. var rest] => await RunAsync(Options(rest)),
    ["instance", string file, string callers, string cap] => await InstanceAsync(file, int.Parse(callers, CultureInfo.InvariantCulture), cap),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Fleet run [--servers N] [--partitions N] [--instances N] [--callers N] [--seconds N] [--cap N|off]");
    return 1;
}

static Dictionary<string, string> Options(string[] args)
{
    var options = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["--servers"] = "4", ["--partitions"] = "64", ["--instances"] = "16", ["--callers"] = "16", ["--seconds"] = "8", ["--cap"] = "2",
    };
    for (int i = 0; i + 1 < args.Length; i += 2)
    {
        if (!options.ContainsKey(args[i]))
        {
            throw new ArgumentException($"Unknown option {args[i]}.");
        }

        options[args[i]] = args[i + 1];
    }

    return options;
}

static async Task<int> RunAsync(Dictionary<string, string> options)
{
    int Number(string name) => int.Parse(options[name], CultureInfo.InvariantCulture);
    int serverCount = Number("--servers"), partitionCount = Number("--partitions"), instances = Number("--instances"), callers = Number("--callers");
    string cap = options["--cap"];
    int sizedCap = cap == "off" ? 2 : int.Parse(cap, CultureInfo.InvariantCulture);
    int perServer = partitionCount / serverCount;
    int limit = instances * perServer * sizedCap; // the formula: what client connections may reach one server
    const int Reserve = 8; // superuser_reserved_connections (3) and this program's own sampling connections

    var servers = new List<LocalPostgresServer>();
    try
    {
        var partitions = new string[partitionCount];
        for (int s = 0; s < serverCount; s++)
        {
            LocalPostgresServer server = await LocalPostgresServer.StartAsync(new LocalPostgresOptions { MaxConnections = limit + Reserve });
            servers.Add(server);
            await server.CreateDatabaseAsync("fleet_template");
            await server.ExecuteAsync("fleet_template", "create function where_is(key text) returns text language sql stable as $$ select current_database() || ':' || key $$;");
            await server.ExecuteAsync("postgres", "update pg_database set datistemplate = true where datname = 'fleet_template'");
        }

        for (int p = 0; p < partitionCount; p++)
        {
            LocalPostgresServer server = servers[p % serverCount];
            await server.ExecuteAsync("postgres", $"create database fleet{p} template fleet_template");
            partitions[p] = server.ConnectionString($"fleet{p}");
        }

        string file = Path.GetTempFileName();
        await File.WriteAllLinesAsync(file, partitions);
        Console.WriteLine($"{serverCount} servers × {perServer} partition databases, max_connections {limit + Reserve} each (formula: {instances} instances × {perServer} × {sizedCap} = {limit}); {instances} instances × {callers} callers, cap {cap}");

        var processes = new List<Process>();
        var outputs = new List<List<string>>();
        var readers = new List<Task>();
        for (int i = 0; i < instances; i++)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (string argument in (string[])[typeof(IFleetDb).Assembly.Location, "instance", file, callers.ToString(CultureInfo.InvariantCulture), cap])
            {
                start.ArgumentList.Add(argument);
            }

            Process process = Process.Start(start)!;
            var lines = new List<string>();
            processes.Add(process);
            outputs.Add(lines);
            readers.Add(Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync() is { } line)
                {
                    lock (lines)
                    {
                        lines.Add(line);
                    }
                }
            }));
        }

        using var startup = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        while (outputs.Any(lines => { lock (lines) { return !lines.Contains("ready"); } }))
        {
            if (processes.Any(p => p.HasExited))
            {
                throw new InvalidOperationException("An instance exited before it was ready.");
            }

            await Task.Delay(50, startup.Token);
        }

        foreach (Process process in processes)
        {
            await process.StandardInput.WriteLineAsync("go");
            await process.StandardInput.FlushAsync();
        }

        int most = 0, refused = 0;
        var samplers = servers.Select(server => NpgsqlDataSource.Create(server.ConnectionString() + ";Pooling=false")).ToList();
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < TimeSpan.FromSeconds(Number("--seconds")))
        {
            foreach (NpgsqlDataSource sampler in samplers)
            {
                try
                {
                    await using NpgsqlCommand count = sampler.CreateCommand("select count(*)::int from pg_stat_activity where datname like 'fleet%'");
                    most = Math.Max(most, (int)(await count.ExecuteScalarAsync())!);
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.TooManyConnections)
                {
                    refused++; // the server is full: even this program's own connection was refused
                }
            }

            await Task.Delay(100);
        }

        foreach (Process process in processes)
        {
            process.StandardInput.Close();
        }

        using var shutdown = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        foreach (Process process in processes)
        {
            await process.WaitForExitAsync(shutdown.Token);
        }

        await Task.WhenAll(readers);
        foreach (NpgsqlDataSource sampler in samplers)
        {
            await sampler.DisposeAsync();
        }

        long calls = 0, failed = 0, wrong = 0;
        var p50s = new List<double>();
        var p99s = new List<double>();
        var errors = new SortedSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < instances; i++)
        {
            string done = outputs[i].LastOrDefault(l => l.StartsWith("done ", StringComparison.Ordinal))
                ?? throw new InvalidOperationException($"Instance {i} did not finish (exit code {processes[i].ExitCode}).");
            Console.WriteLine($"instance {i}: {done}");
            Dictionary<string, string> fields = done[5..].Split(' ').Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
            calls += long.Parse(fields["calls"], CultureInfo.InvariantCulture);
            failed += long.Parse(fields["failed"], CultureInfo.InvariantCulture);
            wrong += long.Parse(fields["wrong"], CultureInfo.InvariantCulture);
            p50s.Add(double.Parse(fields["p50"], CultureInfo.InvariantCulture));
            p99s.Add(double.Parse(fields["p99"], CultureInfo.InvariantCulture));
            if (fields["errors"].Length > 0)
            {
                errors.UnionWith(fields["errors"].Split(','));
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fleet calls={calls} failed={failed} wrong={wrong} most_connections_per_server={most} formula={limit} samples_refused={refused} p50_ms={p50s.Order().ElementAt(p50s.Count / 2):0.00} p99_ms={p99s.Max():0.00} errors={string.Join(',', errors)}"));
        File.Delete(file);
        return 0;
    }
    finally
    {
        foreach (LocalPostgresServer server in servers)
        {
            await server.DisposeAsync();
        }
    }
}

static async Task<int> InstanceAsync(string file, int callers, string cap)
{
    string[] partitions = await File.ReadAllLinesAsync(file);
    string[] databases = [.. partitions.Select(p => new NpgsqlConnectionStringBuilder(p).Database!)];
    var options = new PlProxyOptions { ConnectionBudgetTimeout = TimeSpan.FromSeconds(30) };
    options.AddCluster("fleet", cluster =>
    {
        foreach (string partition in partitions)
        {
            cluster.Partitions.Add(partition);
        }

        cluster.MaxConnectionsPerPartition = cap == "off" ? null : int.Parse(cap, CultureInfo.InvariantCulture);
    });
    await using PlProxyDataSource source = PlProxyDataSource.Create(options);
    IFleetDb db = source.CreateProxy<IFleetDb>();

    // Warm: one call to every partition, so the timed part measures calls rather than connection start-up.
    var warmKeys = new string?[partitions.Length];
    for (int k = 0; warmKeys.Contains(null); k++)
    {
        string key = $"warm{k}";
        warmKeys[Partitions.IndexOf(PgHash.HashText(key), partitions.Length)] ??= key;
    }

    long warmFailed = 0;
    foreach (string key in warmKeys!)
    {
        try
        {
            await db.WhereIsAsync(key!);
        }
        catch (PlProxyException)
        {
            warmFailed++; // counted with the rest: a fleet without caps may already be out of connections here
        }
    }

    Console.WriteLine("ready");
    if (await Console.In.ReadLineAsync() != "go")
    {
        return 1;
    }

    using var stop = new CancellationTokenSource();
    long calls = 0, failed = warmFailed, wrong = 0;
    var errors = new System.Collections.Concurrent.ConcurrentDictionary<string, int>(StringComparer.Ordinal);
    var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
    Task[] workers = [.. Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
    {
        var random = new Random((Environment.ProcessId * 1000) + caller);
        while (!stop.IsCancellationRequested)
        {
            string key = $"k{random.Next(1_000_000)}";
            long started = Stopwatch.GetTimestamp();
            try
            {
                string answer = await db.WhereIsAsync(key);
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                Interlocked.Increment(ref calls);
                if (answer != $"{databases[Partitions.IndexOf(PgHash.HashText(key), partitions.Length)]}:{key}")
                {
                    Interlocked.Increment(ref wrong);
                }
            }
            catch (PlProxyException e)
            {
                Interlocked.Increment(ref failed);
                errors.AddOrUpdate(e.SqlState ?? "none", 1, (_, n) => n + 1);
            }
        }
    }))];
    await Console.In.ReadToEndAsync(); // end of input: stop
    await stop.CancelAsync();
    await Task.WhenAll(workers);
    double[] sorted = [.. latencies.Order()];
    double Percentile(double q) => sorted.Length == 0 ? 0 : sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(q * sorted.Length))];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"done calls={calls} failed={failed} wrong={wrong} p50={Percentile(0.5):0.00} p99={Percentile(0.99):0.00} errors={string.Join(',', errors.Select(e => $"{e.Key}:{e.Value}"))}"));
    return 0;
}

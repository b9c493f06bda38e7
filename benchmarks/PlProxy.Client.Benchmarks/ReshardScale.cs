using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using PlProxy.Client.Hashing;
using PlProxy.Client.Testing;
using Resharding;

namespace PlProxy.Client.Benchmarks;

/// <summary>
/// The resharding scale run (bounded to this machine): a cluster of 16 partitions over 4 local PostgreSQL servers
/// with 2 million rows, split to 32 while 3 writer processes write through it — the copy stopped before the switch,
/// diffed, then finished. Reports copy rows/s, diff rows/s, the fence-to-publish pause, the moving keys' longest wait,
/// and lost / duplicated / misplaced writes (all must be 0), to benchmarks/results/ReshardScale.md.
/// <c>dotnet PlProxy.Client.Benchmarks.dll --reshard-scale [rows] [partitions] [servers]</c>.
/// </summary>
internal static class ReshardScale
{
    public static async Task<int> RunAsync(int rows, int partitions, int serverCount)
    {
        Console.WriteLine($"Starting {serverCount} local PostgreSQL servers (wal_level = logical) ...");
        var servers = new List<LocalPostgresServer>();
        try
        {
            for (int i = 0; i < serverCount; i++)
            {
                servers.Add(await LocalPostgresServer.StartAsync(DemoCluster.ServerOptions()));
            }

            DemoCluster cluster = await DemoCluster.CreateAsync(servers, "scale", partitions, partitions);
            var clock = Stopwatch.StartNew();
            await SeedAsync(cluster, rows);
            Console.WriteLine($"{rows} rows seeded over {partitions} partitions in {clock.Elapsed.TotalSeconds:0.0} s");

            var writers = Enumerable.Range(1, 3).Select(i => WriterProcess.Start(cluster.Proxy, $"w{i}")).ToList();
            while (writers.Any(w => w.Acknowledged < 50))
            {
                await Task.Delay(50);
            }

            string started = DateTime.Now.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);
            string[] split = ["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", .. cluster.Spares];
            clock.Restart();
            (int copied, string copyOutput) = await ToolAsync([.. split, "--stop-before-switch", "--catch-up-timeout", "1200"]);
            TimeSpan copyTime = clock.Elapsed;
            Console.WriteLine(copyOutput);
            Check(copied == 0, "the copy");

            clock.Restart();
            (int diffed, string diffJson) = await ToolAsync(["diff", "--proxy", cluster.Proxy, "--cluster", "users", "--json"]);
            TimeSpan diffTime = clock.Elapsed;
            using JsonDocument diff = JsonDocument.Parse(diffJson);
            long compared = diff.RootElement.GetProperty("rows").GetInt64();
            if (diffed != 0)
            {
                Console.WriteLine(diffJson);
            }

            Check(diffed == 0 && diff.RootElement.GetProperty("equal").GetBoolean(), "the diff");

            clock.Restart();
            (int finished, string finishOutput) = await ToolAsync([.. split, "--fence-timeout", "60"]);
            TimeSpan finishTime = clock.Elapsed;
            Console.WriteLine(finishOutput);
            Check(finished == 0, "the switch");
            int afterSwitch = writers.Sum(w => w.Acknowledged);
            while (writers.Sum(w => w.Acknowledged) < afterSwitch + 150)
            {
                await Task.Delay(50);
            }

            var acks = new List<(string Id, string Key, long Milliseconds, string At)>();
            int errors = 0;
            foreach (WriterProcess writer in writers)
            {
                (List<(string Id, string Key, long Milliseconds, string At)> written, List<string> failed, bool endedCleanly) = await writer.StopAsync();
                await writer.DisposeAsync();
                acks.AddRange(written);
                errors += failed.Count + (endedCleanly ? 0 : 1);
            }

            string[] map = [.. cluster.Partitions, .. cluster.Spares];
            Dictionary<string, List<int>> where = await WritesAsync(map);
            int lost = acks.Count(a => !where.ContainsKey(a.Id));
            int duplicated = where.Count(w => w.Value.Count > 1);
            int misplaced = acks.Count(a => where.TryGetValue(a.Id, out List<int>? at) && at[0] != Partitions.IndexOf(PgHash.HashText(a.Key), map.Length));
            var during = acks.Where(a => string.CompareOrdinal(a.At, started) >= 0).ToList();
            HashSet<string> moving = [.. during.Select(a => a.Key).Where(k => Partitions.IndexOf(PgHash.HashText(k), 2 * partitions) >= partitions)];
            long longestMoving = during.Where(a => moving.Contains(a.Key)).Select(a => a.Milliseconds).DefaultIfEmpty().Max();
            long longestStaying = during.Where(a => !moving.Contains(a.Key)).Select(a => a.Milliseconds).DefaultIfEmpty().Max();
            TimeSpan pause = Between(finishOutput, "fence: moving keys refused", "switch: map of cluster");
            TimeSpan underFence = Between(finishOutput, "fence: the new databases have applied them", "fence: copies compared");
            string rechecked = System.Text.RegularExpressions.Regex.Match(finishOutput, @"fence: copies compared: (the (?<n>\d+) rows written since the last comparison|(?<n>\d+) moving rows)").Groups["n"].Value;
            (int verified, _) = await ToolAsync(["verify", "--proxy", cluster.Proxy, "--cluster", "users"]);

            string report = $"""
                # Resharding at scale

                `dotnet benchmarks/PlProxy.Client.Benchmarks/bin/Release/net10.0/PlProxy.Client.Benchmarks.dll --reshard-scale {rows} {partitions} {serverCount}` (Release; {serverCount} local PostgreSQL 15 servers on one 2-core machine, wal_level = logical; {DateTime.UtcNow:yyyy-MM-dd}).

                Cluster `users`: {partitions} partitions over {serverCount} servers, {rows:N0} rows in the partitioned table `writes`; split to {2 * partitions} partitions (the new databases on the same servers) while 3 writer processes wrote through the cluster (each its own PlProxyDataSource, map and LISTEN connection).

                | Step | Figure |
                |---|---|
                | copy (logical replication of every source table into {partitions} new databases, to caught up; `split --stop-before-switch`) | {copyTime.TotalSeconds:0.0} s, {rows / copyTime.TotalSeconds:N0} rows/s of source rows |
                | diff (every moving row, chunked checksums over key ranges, both sides; `plproxy diff`) | {compared:N0} rows in {diffTime.TotalSeconds:0.0} s, {compared / diffTime.TotalSeconds:N0} rows/s |
                | finishing run (compare again, fence, compare under the fence, switch, cleanup) | {finishTime.TotalSeconds:0.0} s |
                | fence to map published (the pause of moving keys) | {pause.TotalMilliseconds:N0} ms |
                | of it, the comparison under the fence (rows written since the last comparison, by their recorded keys) | {underFence.TotalMilliseconds:N0} ms, {rechecked} rows |
                | moving keys' longest wait / staying keys' longest wait (writes while the tool ran) | {longestMoving:N0} ms / {longestStaying:N0} ms |
                | writes acknowledged / failed | {acks.Count:N0} / {errors} |
                | lost / duplicated / misplaced | {lost} / {duplicated} / {misplaced} |
                | `plproxy verify` after | exit {verified} |

                Peers' published figures for scale: Vitess' largest public VDiff compared 141 billion rows over 128 shards in 4 h 16 min (about 72,000 rows/s per shard, on production hardware); Citus reports moving shards in parallel to different nodes (10 to 20 nodes "10 times faster"). These figures are one run on one small machine, with every server, the writers and the tool sharing 2 cores.
                """;
            await File.WriteAllTextAsync(Path.Combine(ResultsDirectory(), "ReshardScale.md"), report.Replace("\r\n", "\n", StringComparison.Ordinal) + "\n");
            Console.WriteLine(report);
            return lost + duplicated + misplaced + errors == 0 && verified == 0 ? 0 : 1;
        }
        finally
        {
            foreach (LocalPostgresServer server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    // Each partition gets the keys k0 .. k<rows-1> that map to it, written with the trigger off (a bulk load).
    private static async Task SeedAsync(DemoCluster cluster, int rows)
    {
        int count = cluster.Partitions.Length;
        await Task.WhenAll(cluster.Partitions.Select(async (partition, p) =>
        {
            await using var database = NpgsqlDataSource.Create(DemoCluster.NpgsqlConnectionString(partition) + ";Command Timeout=0");
            await using NpgsqlCommand insert = database.CreateCommand($"""
                set session_replication_role = replica;
                insert into writes (id, key) select 'seed-k' || i, 'k' || i from generate_series(0, {rows - 1}) i where hashtext('k' || i) & {count - 1} = {p};
                analyze writes;
                """);
            await insert.ExecuteNonQueryAsync();
        }));
    }

    private static async Task<Dictionary<string, List<int>>> WritesAsync(string[] map)
    {
        var where = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int p = 0; p < map.Length; p++)
        {
            await using var database = NpgsqlDataSource.Create(DemoCluster.NpgsqlConnectionString(map[p]));
            await using NpgsqlCommand select = database.CreateCommand("select id from writes where id not like 'seed-%'");
            await using NpgsqlDataReader reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                string id = reader.GetString(0);
                if (!where.TryGetValue(id, out List<int>? at))
                {
                    where[id] = at = [];
                }

                at.Add(p);
            }
        }

        return where;
    }

    private static async Task<(int ExitCode, string Output)> ToolAsync(string[] args)
    {
        var output = new StringWriter();
        int exitCode = await PlProxy.Client.Tool.ToolCommandLine.InvokeAsync(args, output, output);
        return (exitCode, output.ToString());
    }

    // The time between the first lines of the tool's output that contain each text (its lines start HH:mm:ss.fff).
    private static TimeSpan Between(string output, string from, string to)
    {
        TimeSpan At(string text) => output.Split('\n').Where(l => l.Contains(text, StringComparison.Ordinal)).Select(l => TimeSpan.ParseExact(l[..12], @"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture)).FirstOrDefault();
        return At(to) - At(from);
    }

    private static void Check(bool passed, string step)
    {
        if (!passed)
        {
            throw new InvalidOperationException($"{step} failed; see its output above.");
        }
    }

    private static string ResultsDirectory()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PlProxy.Client.sln")))
            {
                return Path.Combine(directory.FullName, "benchmarks", "results");
            }
        }

        return AppContext.BaseDirectory;
    }
}

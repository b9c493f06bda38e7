using System.Diagnostics;
using PlProxy.Client.Configuration;
using PlProxy.Client.Hashing;
using Resharding;

namespace PlProxy.Client.Scaffold.Tests.Resharding;

/// <summary>
/// <c>plproxy split</c> killed (SIGKILL, as a separate process) at each step: the cluster keeps serving writes, and
/// running the command again finishes the split, or <c>--abort</c> undoes it; either way no row is lost or doubled.
/// Killed inside the switch, after the sources' partconf and before the map, the moving keys are refused (nothing
/// written) until the next run: the one window two databases committed one after the other leave. Killed at the fence,
/// it held temporary slots recording the keys written; none is left.
/// </summary>
[Collection(ReshardFixture.Collection)]
public sealed class ReshardInterruptionTests(ReshardFixture fixture)
{
    private static readonly string[] Keys = [.. Enumerable.Range(0, 300).Select(i => $"user{i}")];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("copy", "--abort")]
    [InlineData("catch-up", "resume")]
    [InlineData("fence", "--abort")]
    [InlineData("switch", "resume")]
    [InlineData("cleanup", "resume")]
    public async Task Split_KilledAtAStep_KeepsServingAndIsFinishedOrUndoneByTheNextRun(string step, string then)
    {
        DemoCluster cluster = await fixture.ClusterAsync(2, 2, Token);
        await ReshardFixture.SeedAsync(cluster.Partitions, Keys, Token);
        string[] split = ["split", "--proxy", cluster.Proxy, "--cluster", "users", "--fence-timeout", "2", "--to", .. cluster.Spares];

        string output = await KilledAtAsync(split, step);
        if (step == "fence")
        {
            // Killed while its slots record the keys written (temporary: they go with its sessions, as the count of
            // slots left at the end shows).
            Assert.Contains("left for the check under the fence", output, StringComparison.Ordinal);
        }

        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().UseProxyDatabase(cluster.Proxy));
        IWrites writes = source.CreateProxy<IWrites>();
        string[] written = [.. (await Task.WhenAll(Keys.Take(20).Select(async key =>
        {
            try
            {
                Assert.Equal($"after-kill-{key}", await writes.RecordWriteAsync($"after-kill-{key}", key, Token)); // the cluster serves
                return key;
            }
            catch (PlProxyException e) when (step == "switch" && e.SqlState == PlProxySqlStates.WrongPartition
                && Partitions.IndexOf(PgHash.HashText(key), 2) != Partitions.IndexOf(PgHash.HashText(key), 4))
            {
                // Killed between the sources' partconf and the map (two databases, two commits): a moving key is
                // refused as a stale map, nothing written, until the next run publishes the map.
                return null;
            }
        }))).OfType<string>()];
        Assert.NotEmpty(written);

        (int exitCode, string finished, string error) = await Tool.RunAsync(then == "--abort" ? [.. split, "--abort"] : split);
        Assert.True(exitCode == 0, $"{output}\n--- then {then}:\n{finished}{error}");

        string[] map = await ReshardFixture.MapAsync(cluster.Proxy, Token);
        Assert.Equal(then == "--abort" ? cluster.Partitions : [.. cluster.Partitions, .. cluster.Spares], map);
        List<(int Database, string Id, string Key)> rows = await ReshardFixture.RowsAsync(map, Token);
        Assert.Equal(Keys.Select(k => $"seed-{k}").Concat(written.Select(k => $"after-kill-{k}")).Order(StringComparer.Ordinal), rows.Select(r => r.Id).Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.Equal(Partitions.IndexOf(PgHash.HashText(r.Key), map.Length), r.Database));
        Assert.Equal((0, 0), await fixture.LeftoversAsync(cluster, Token));
        if (then == "--abort")
        {
            Assert.Empty(await ReshardFixture.TablesAsync(cluster.Spares, Token)); // the new databases are empty again
        }
    }

    [Fact]
    public async Task Abort_AfterTheSwitch_IsRefusedAndTheNextRunFinishes()
    {
        DemoCluster cluster = await fixture.ClusterAsync(2, 2, Token);
        await ReshardFixture.SeedAsync(cluster.Partitions, Keys, Token);
        string[] split = ["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", .. cluster.Spares];
        await KilledAtAsync(split, "cleanup");

        (int refused, _, string error) = await Tool.RunAsync([.. split, "--abort"]);
        (int finished, _, _) = await Tool.RunAsync(split);

        Assert.Equal(2, refused);
        Assert.Contains("has switched", error, StringComparison.Ordinal);
        Assert.Equal(0, finished);
        Assert.Equal(Keys.Length, (await ReshardFixture.RowsAsync(await ReshardFixture.MapAsync(cluster.Proxy, Token), Token)).Count);
    }

    [Fact]
    public async Task Status_OfASplitInProgress_ShowsItAndEachCopy()
    {
        DemoCluster cluster = await fixture.ClusterAsync(2, 2, Token);
        string[] split = ["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", .. cluster.Spares];
        await KilledAtAsync(split, "catch-up");

        (int exitCode, string status, _) = await Tool.RunAsync(["status", "--proxy", cluster.Proxy, "--cluster", "users"]);
        (int jsonExit, string json, _) = await Tool.RunAsync(["status", "--proxy", cluster.Proxy, "--cluster", "users", "--json"]);
        await Tool.RunAsync([.. split, "--abort"]);

        Assert.Equal(0, exitCode);
        Assert.Contains("split in progress: 2 -> 4 partitions, not switched: the old map serves", status, StringComparison.Ordinal);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(status, @"copy plproxy_\w+_to_\d: (streaming|not connected), \d+ bytes of WAL not yet applied"));
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(status, @"new database \w+ \(partition [23]\): \d+ rows written, \d+ rows/s"));
        Assert.Equal(0, jsonExit);
        using System.Text.Json.JsonDocument report = System.Text.Json.JsonDocument.Parse(json);
        System.Text.Json.JsonElement[] copies = [.. report.RootElement.GetProperty("operation").GetProperty("copies").EnumerateArray()];
        Assert.Equal([2, 3], copies.Select(c => c.GetProperty("partitions")[0].GetInt32()).Order());
        Assert.All(copies, c => Assert.True(c.GetProperty("rows").GetInt64() >= 0 && c.GetProperty("rowsPerSecond").GetDouble() >= 0));
    }

    // Runs the tool as a process of its own and kills it (SIGKILL) as soon as it starts the step.
    private static async Task<string> KilledAtAsync(string[] arguments, string step)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "PlProxy.Client.Tool.dll"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process tool = Process.Start(start)!;
        Task<string> errors = tool.StandardError.ReadToEndAsync(Token);
        var seen = new System.Text.StringBuilder();
        while (await tool.StandardOutput.ReadLineAsync(Token) is { } line)
        {
            seen.AppendLine(line);
            if (line.Contains($"plproxy split: {step}:", StringComparison.Ordinal))
            {
                tool.Kill();
                await tool.WaitForExitAsync(Token);
                return seen.ToString();
            }
        }

        await tool.WaitForExitAsync(Token);
        Assert.Fail($"plproxy split ended (exit code {tool.ExitCode}) before step {step}:\n{seen}{await errors}");
        return "";
    }
}

using System.Diagnostics;
using Resharding;

namespace PlProxy.Client.Scaffold.Tests.Resharding;

/// <summary>
/// One process at a time per cluster: a second split, move or abort while one runs is refused at once, naming the
/// running one, and never undoes it; a killed holder does not block; a finished split run again has nothing to do.
/// </summary>
[Collection(ReshardFixture.Collection)]
public sealed class ReshardConcurrencyTests(ReshardFixture fixture)
{
    private static readonly string[] Keys = [.. Enumerable.Range(0, 400).Select(i => $"user{i}")];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SplitAndAbort_WhileAnotherProcessSplits_AreRefusedNamingItAndTheSplitFinishes()
    {
        DemoCluster cluster = await fixture.ClusterAsync(2, 2, Token);
        await ReshardFixture.SeedAsync(cluster.Partitions, Keys, Token);
        string[] split = ["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", .. cluster.Spares];
        using Process running = await StartUntilAsync(split, "plproxy split: copy:");
        Task<string> runningOutput = running.StandardOutput.ReadToEndAsync(Token);
        Task<string> runningError = running.StandardError.ReadToEndAsync(Token);

        (int second, _, string secondError) = await Tool.RunAsync(split);
        (int abort, _, string abortError) = await Tool.RunAsync([.. split, "--abort"]);

        foreach ((int exitCode, string error) in new[] { (second, secondError), (abort, abortError) })
        {
            Assert.Equal(2, exitCode);
            Assert.Contains("A split, move or abort of cluster users is running now: plproxy split pid " + running.Id, error, StringComparison.Ordinal);
            Assert.Contains("since 20", error, StringComparison.Ordinal); // its start time
            Assert.DoesNotContain("--abort", error, StringComparison.Ordinal);
        }

        await running.WaitForExitAsync(Token).WaitAsync(TimeSpan.FromSeconds(120), Token);
        Assert.True(running.ExitCode == 0, await runningOutput + await runningError);
        string[] map = await ReshardFixture.MapAsync(cluster.Proxy, Token);
        Assert.Equal(cluster.Partitions.Concat(cluster.Spares), map);
        Assert.Equal(Keys.Length, (await ReshardFixture.RowsAsync(map, Token)).Count);
        Assert.Equal((0, 0), await fixture.LeftoversAsync(cluster, Token));

        (int again, string againOutput, string againError) = await Tool.RunAsync(split);
        Assert.True(again == 0, againOutput + againError);
        Assert.Contains("plproxy split: nothing to do: cluster users already has this map", againOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Abort_OfASplitWhoseProcessWasKilled_IsNotBlockedByIt()
    {
        DemoCluster cluster = await fixture.ClusterAsync(2, 2, Token);
        await ReshardFixture.SeedAsync(cluster.Partitions, Keys, Token);
        string[] split = ["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", .. cluster.Spares];
        // Killed once the copy is made (killed at the copy step, its psql child may still be creating the subscription).
        using (Process killed = await StartUntilAsync(split, "plproxy split: catch-up:"))
        {
            killed.Kill(); // SIGKILL, holding the lock
            await killed.WaitForExitAsync(Token).WaitAsync(TimeSpan.FromSeconds(30), Token);
        }

        (int aborted, string output, string error) = await Tool.RunAsync([.. split, "--abort"]);

        Assert.True(aborted == 0, output + error);
        Assert.Equal(cluster.Partitions, await ReshardFixture.MapAsync(cluster.Proxy, Token));
        Assert.Equal(Keys.Length, (await ReshardFixture.RowsAsync(cluster.Partitions, Token)).Count);
        Assert.Empty(await ReshardFixture.TablesAsync(cluster.Spares, Token));
        Assert.Equal((0, 0), await fixture.LeftoversAsync(cluster, Token));
    }

    [Fact]
    public async Task SplitAndMove_WithoutNewDatabases_AreRefusedAsBadInputBeforeAnyPartitionIsTouched()
    {
        DemoCluster cluster = await fixture.ClusterAsync(2, 0, Token);

        (int split, _, string splitError) = await Tool.RunAsync(["split", "--proxy", cluster.Proxy, "--cluster", "users"]);
        (int move, _, string moveError) = await Tool.RunAsync(["move", "--proxy", cluster.Proxy, "--cluster", "users", "--partition", "1"]);

        Assert.Equal((1, 1), (split, move));
        Assert.Contains("plproxy split: Give the new, empty databases (--to), one per partition", splitError, StringComparison.Ordinal);
        Assert.Contains("plproxy move: Give the partition's new, empty database (--to)", moveError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_OfADatabaseWithoutPlProxy_SaysItIsNotAProxyDatabaseInASentence()
    {
        (int exitCode, _, string error) = await Tool.RunAsync(["status", "--proxy", fixture.Server.ConnectionString("postgres"), "--cluster", "users"]);
        (int malformed, _, string malformedError) = await Tool.RunAsync(["status", "--proxy", "host=127.0.0.1 dbname='unterminated", "--cluster", "users"]);

        Assert.Equal(2, exitCode);
        Assert.StartsWith("plproxy status: the --proxy database is not a PL/Proxy proxy database", error, StringComparison.Ordinal);
        Assert.DoesNotContain("POSITION", error, StringComparison.Ordinal);
        Assert.Equal(1, malformed); // a connection string that cannot be read is bad input
        Assert.StartsWith("plproxy status: ", malformedError, StringComparison.Ordinal);
    }

    // The tool in a process of its own, once it has printed a line containing the given text.
    private static async Task<Process> StartUntilAsync(string[] args, string seen)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in (string[])[Path.Combine(AppContext.BaseDirectory, "PlProxy.Client.Tool.dll"), .. args])
        {
            start.ArgumentList.Add(argument);
        }

        Process tool = Process.Start(start)!;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Token);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        while (await tool.StandardOutput.ReadLineAsync(deadline.Token) is { } line && !line.Contains(seen, StringComparison.Ordinal))
        {
        }

        return tool;
    }
}

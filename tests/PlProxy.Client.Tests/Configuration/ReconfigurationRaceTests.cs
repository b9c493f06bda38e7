using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using PlProxy.Client.Clusters;
using PlProxy.Client.Configuration;
using PlProxy.Client.Execution;
using PlProxy.Client.Proxies;

namespace PlProxy.Client.Tests.Configuration;

/// <summary>
/// Reconfigurations that overlap (a configuration reload and a manual <see cref="PlProxyDataSource.Reconfigure"/>)
/// are linearizable: the data source ends serving exactly one caller's request, and what it recorded is what serves.
/// Definition A of a cluster has one partition and B two, so a RUN ON ALL call shows which one serves.
/// </summary>
public sealed class ReconfigurationRaceTests
{
    private const int Rounds = 400;

    private static readonly string[] A = ["Host=a0;Database=a0"];
    private static readonly string[] B = ["Host=b0;Database=b0", "Host=b1;Database=b1"];

    [Fact]
    public async Task OverlappingReconfigurations_OfTwoClusters_EndInExactlyOneRequest()
    {
        var executor = new CountingExecutor();
        await using PlProxyDataSource source = PlProxyDataSource.Create(Options(c: B, d: B), executor);
        var wrong = new List<string>();
        for (int round = 0; round < Rounds; round++)
        {
            source.Reconfigure(Options(c: B, d: B));
            await RaceAsync(source, Options(c: A, d: B), Options(c: B, d: A));

            (int c, int d) serving = (await PartitionsCalledAsync(source, executor, "c"), await PartitionsCalledAsync(source, executor, "d"));
            if (serving != (1, 2) && serving != (2, 1))
            {
                wrong.Add($"round {round}: c has {serving.c} partitions, d {serving.d}");
            }
        }

        Assert.Empty(wrong);
    }

    [Fact]
    public async Task OverlappingReconfigurations_ThenTheLosingRequestAgain_IsApplied()
    {
        var executor = new CountingExecutor();
        await using PlProxyDataSource source = PlProxyDataSource.Create(Options(c: B, d: B), executor);
        var ignored = new List<string>();
        for (int round = 0; round < Rounds; round++)
        {
            source.Reconfigure(Options(c: B, d: B));
            await RaceAsync(source, Options(c: A, d: B), Options(c: B, d: A));

            // Whichever won, asking for (c: B, d: A) now must end serving exactly that.
            source.Reconfigure(Options(c: B, d: A));
            (int c, int d) serving = (await PartitionsCalledAsync(source, executor, "c"), await PartitionsCalledAsync(source, executor, "d"));
            if (serving != (2, 1))
            {
                ignored.Add($"round {round}: c has {serving.c} partitions, d {serving.d}");
            }
        }

        Assert.Empty(ignored);
    }

    // Two reconfigurations released at the same moment from two threads; a round that does not end within its bound
    // fails the test instead of hanging it.
    private static async Task RaceAsync(PlProxyDataSource source, PlProxyOptions first, PlProxyOptions second)
    {
        using var start = new Barrier(2);
        CancellationToken token = TestContext.Current.CancellationToken;
        void Released(PlProxyOptions options)
        {
            if (!start.SignalAndWait(TimeSpan.FromSeconds(10), token))
            {
                throw new TimeoutException("the other reconfiguration never started");
            }

            source.Reconfigure(options);
        }

        await Task.WhenAll(Task.Run(() => Released(first), token), Task.Run(() => Released(second), token)).WaitAsync(TimeSpan.FromSeconds(30), token);
    }

    private static PlProxyOptions Options(string[] c, string[] d) => new PlProxyOptions().AddCluster("c", c).AddCluster("d", d);

    private static async Task<int> PartitionsCalledAsync(PlProxyDataSource source, CountingExecutor executor, string cluster)
    {
        executor.Calls.Clear();
        await source.QueryAsync(new PlProxyCommand("f", $"CLUSTER '{cluster}'; RUN ON ALL;"), r => r.GetInt32(0), TestContext.Current.CancellationToken);
        return executor.Calls.Count;
    }

    private sealed class CountingExecutor : IPartitionExecutor
    {
        public ConcurrentQueue<int> Calls { get; } = new();

        public ValueTask<DbDataReader> ExecuteAsync(PartitionRequest request, CancellationToken cancellationToken)
        {
            Calls.Enqueue(request.Partition);
            return ValueTask.FromResult<DbDataReader>(new DataTable().CreateDataReader());
        }
    }

    [Fact]
    public async Task ClustersChangedTogether_AreSeenChangedTogether_EvenWhileTheSecondIsBuilt()
    {
        var executor = new CountingExecutor();
        await using PlProxyDataSource source = PlProxyDataSource.Create(Generation(0), executor);
        ProxyMethod method = ProxyMethod.Create(new ProxyMethodInfo { FunctionName = "f", Body = "CLUSTER 'c';", ResultPgType = "int4" });
        var seen = new List<(int C, int D)>();
        for (int generation = 1; generation <= 20; generation++)
        {
            // While the new version of d is being built, a reader looks at c, then d: it must not see c new and d old.
            source.Building = name =>
            {
                if (name == "d")
                {
                    // Bounded: a reader blocked by the build (clusters published one by one, under the lock) fails the test.
                    seen.Add(Task.Run(() => GenerationsAsync(source, method)).WaitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult());
                }
            };
            source.Reconfigure(Generation(generation));
            source.Building = null;
            seen.Add(await GenerationsAsync(source, method));
        }

        Assert.All(seen, s => Assert.True(s.D >= s.C, $"c at generation {s.C} while d at {s.D}"));
        Assert.Equal((20, 20), seen[^1]);
    }

    // Generation k of both clusters: one partition whose host names k.
    private static PlProxyOptions Generation(int k) => new PlProxyOptions().AddCluster("c", $"Host=g{k}").AddCluster("d", $"Host=g{k}");

    private static async Task<(int C, int D)> GenerationsAsync(PlProxyDataSource source, ProxyMethod method)
    {
        ClusterSnapshot c = await source.Clusters.AcquireAsync("c", method.Call.Errors("c"), TestContext.Current.CancellationToken);
        ClusterSnapshot d = await source.Clusters.AcquireAsync("d", method.Call.Errors("d"), TestContext.Current.CancellationToken);
        try
        {
            return (GenerationOf(c), GenerationOf(d));
        }
        finally
        {
            c.Release();
            d.Release();
        }
    }

    private static int GenerationOf(ClusterSnapshot cluster) =>
        int.Parse(new Npgsql.NpgsqlConnectionStringBuilder(cluster.Layout.ConnectionString(0)).Host![1..], System.Globalization.CultureInfo.InvariantCulture);
}

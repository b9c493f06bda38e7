using BenchmarkDotNet.Attributes;
using PlProxy.Client.Configuration;
using PlProxy.Client.Testing;

namespace PlProxy.Client.Benchmarks;

/// <summary>A post of the merge benchmark.</summary>
public sealed record BenchPost(long Id, DateTime CreatedAt);

[PlProxy("CLUSTER 'posts';")]
public interface IBenchPosts
{
    [MergeOrder("created_at DESC, id DESC")]
    [PlProxy("RUN ON ALL; TARGET newest;")]
    Task<IReadOnlyList<BenchPost>> NewestMergedAsync([Limit] int count, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON ALL; TARGET newest;")]
    Task<IReadOnlyList<BenchPost>> NewestEachAsync(int count, CancellationToken cancellationToken = default);
}

/// <summary>
/// "The 100 newest posts across all partitions", over 4 and 16 partitions of 20,000 posts each: the merged call
/// ([MergeOrder] with [Limit]: each partition returns its 100 newest, merged as they arrive) against collecting the
/// same rows (each partition's 100 newest, one RUN ON ALL list call) and sorting them in C#. The same data source,
/// connections and functions for both.
/// </summary>
[Config(typeof(EndToEndConfig))]
[MemoryDiagnoser]
public class OrderedMergeBenchmarks
{
    private const int Count = 100;

    private LocalPartitions _partitions = null!;
    private PlProxyDataSource _source = null!;
    private IBenchPosts _posts = null!;

    [Params(4, 16)]
    public int Partitions { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _partitions = LocalPartitions.StartAsync(Partitions, """
            create table posts (id int8 primary key, created_at timestamptz not null);
            insert into posts select g, timestamptz '2026-01-01' + (random() * interval '300 days') from generate_series(1, 20000) g;
            create index on posts (created_at desc, id desc);
            create function newest(i_count int4, out id int8, out created_at timestamptz) returns setof record language sql stable as $$
                select id, created_at from posts order by created_at desc, id desc limit i_count $$;
            analyze posts;
            """, prefix: "posts").GetAwaiter().GetResult();
        _source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("posts", [.. _partitions.ConnectionStrings]));
        _posts = _source.CreateProxy<IBenchPosts>();
    }

    [Benchmark(Baseline = true)]
    public async Task<BenchPost> CollectThenSort()
    {
        IReadOnlyList<BenchPost> all = await _posts.NewestEachAsync(Count);
        return all.OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.Id).Take(Count).Last();
    }

    [Benchmark]
    public async Task<BenchPost> Merged() => (await _posts.NewestMergedAsync(Count))[^1];

    [GlobalCleanup]
    public void Cleanup()
    {
        _source.Dispose();
        _partitions.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}

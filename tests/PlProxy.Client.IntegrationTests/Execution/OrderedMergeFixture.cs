using NpgsqlTypes;
using PlProxy.Client.Configuration;
using PlProxy.Client.Testing;

namespace PlProxy.Client.IntegrationTests.Execution;

/// <summary>A row of the merge tests: every type a merge orders, each nullable.</summary>
public sealed record MergedRow(long Id, int? I, double? F, string? T, Guid? U, DateTime? Ts, decimal? N, bool? B, byte[]? By, NpgsqlInterval? Iv);

/// <summary>A row of a keyset page.</summary>
public sealed record PageRow(long Id, int? I, string? T);

[PlProxy("CLUSTER 'merged';")]
public interface IPages
{
    [MergeOrder("i, id")]
    [PlProxy("RUN ON ALL;")]
    Task<IReadOnlyList<PageRow>> PageAsync(int? afterI, long afterId, [Limit] int limit, CancellationToken cancellationToken = default);

    [MergeOrder("many")]
    [PlProxy("RUN ON ALL;")]
    IAsyncEnumerable<long> ManyAsync([Limit] int? limit, CancellationToken cancellationToken = default);
}

/// <summary>
/// Four partition databases and one database holding all their rows (the oracle): adversarial values for every type a
/// merge orders — ties, NULLs, NaN, −0, ±Infinity, uuids whose byte arrays order otherwise, text above U+FFFF and in
/// U+E000–U+FFFF — and functions that return them in any order the test asks for.
/// </summary>
public sealed class OrderedMergeFixture : IAsyncLifetime
{
    public const int Partitions = 4;

    private const string Schema = """
        create table rows (id int8 primary key, i int4, f float8, t text, u uuid, ts timestamptz, n numeric, b bool, by bytea, iv interval);
        create function ordered_rows(i_order text, i_limit int4) returns setof rows language plpgsql as $$
        begin
            return query execute format('select * from rows order by %s limit %s', i_order, coalesce(i_limit::text, 'all'));
        end $$;
        create function page(i_after_i int4, i_after_id int8, i_limit int4, out id int8, out i int4, out t text) returns setof record language sql as $$
            select r.id, r.i, r.t from rows r where i_after_i is null or (r.i, r.id) > (i_after_i, i_after_id) order by r.i, r.id limit i_limit $$;
        create function many(i_limit int4) returns setof int8 language sql as $$ select g from generate_series(1, 1000000) g order by g $$;
        """;

    public LocalPostgresServer Server { get; private set; } = null!;

    public string[] PartitionStrings { get; private set; } = [];

    public string Whole { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        CancellationToken token = TestContext.Current.CancellationToken;
        Server = await LocalPostgresServer.StartAsync(cancellationToken: token);
        PartitionStrings = new string[Partitions];
        for (int p = 0; p < Partitions; p++)
        {
            PartitionStrings[p] = await Server.CreateDatabaseAsync($"merge{p}", cancellationToken: token);
            await Server.ExecuteAsync($"merge{p}", Schema, token);
        }

        Whole = await Server.CreateDatabaseAsync("merge_all", cancellationToken: token);
        await Server.ExecuteAsync("merge_all", Schema, token);

        var random = new Random(20261206);
        var inserts = new List<string>[Partitions];
        for (int p = 0; p < Partitions; p++)
        {
            inserts[p] = [];
        }

        var all = new List<string>();
        for (long id = 1; id <= 400; id++)
        {
            string values = $"({id}, {Pick(random, Ints)}, {Pick(random, Floats)}, {Pick(random, Texts)}, {Pick(random, Uuids)}, {Pick(random, Timestamps)}, {Pick(random, Numerics)}, {Pick(random, Bools)}, {Pick(random, Bytes)}, {Pick(random, Intervals)})";
            inserts[random.Next(Partitions)].Add(values);
            all.Add(values);
        }

        for (int p = 0; p < Partitions; p++)
        {
            await Server.ExecuteAsync($"merge{p}", $"insert into rows values {string.Join(",", inserts[p])}", token);
        }

        await Server.ExecuteAsync("merge_all", $"insert into rows values {string.Join(",", all)}", token);
    }

    public PlProxyDataSource Source() => PlProxyDataSource.Create(new PlProxyOptions().AddCluster("merged", PartitionStrings));

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();

    private static readonly string[] Ints = ["null", "0", "1", "1", "2", "-5", "2147483647", "-2147483648", "7", "7", "7"];
    private static readonly string[] Floats = ["null", "'NaN'", "'Infinity'", "'-Infinity'", "0", "'-0'", "1.5", "1.5", "-2.25", "1e300", "-1e-300"];
    private static readonly string[] Texts = ["null", "''", "'a'", "'A'", "'b'", "'ab'", "'a b'", "'é'", "'e'", "'\uE000'", "'\uFFFD'", "'😀'", "'𝄞x'", "'a'", "'Z'", "'z'"];
    private static readonly string[] Uuids = ["null", "'00000000-0000-0000-0000-000000000000'", "'ffffffff-0000-0000-0000-000000000000'", "'00000000-0000-0000-0000-0000000000ff'",
        "'01000000-0000-0000-0000-000000000000'", "'00000001-0000-0000-0000-000000000000'", "'00000000-0100-0000-0000-000000000000'", "'00000000-0000-0100-0000-000000000000'",
        "'80000000-0000-0000-0000-000000000000'", "'00000000-0000-0000-8000-000000000000'"];
    private static readonly string[] Timestamps = ["null", "'infinity'", "'-infinity'", "'2026-01-01 00:00:00+00'", "'2026-01-01 00:00:00+00'", "'1999-12-31 23:59:59.999999+00'", "'2026-06-30 12:00:00+02'"];
    private static readonly string[] Numerics = ["null", "0", "1.0", "1.00", "-1", "3.14159", "1e20", "-0.000001", "2"];
    private static readonly string[] Bools = ["null", "true", "false"];
    private static readonly string[] Bytes = ["null", "''", "'\\x00'", "'\\x0000'", "'\\xff'", "'\\x7f'", "'\\x80'", "'\\x0001'"];
    private static readonly string[] Intervals = ["null", "'1 month'", "'30 days'", "'720 hours'", "'1 day'", "'24 hours'", "'-1 day'", "'1 year'", "'00:00:01'"];

    private static string Pick(Random random, string[] values) => values[random.Next(values.Length)];
}

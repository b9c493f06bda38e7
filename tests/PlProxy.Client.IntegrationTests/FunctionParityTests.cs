using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Hashing;

namespace PlProxy.Client.IntegrationTests;

public interface IFunctionParity
{
    // PL/Proxy's common pattern: a set-returning hash function over an array, each tagged partition called once with the whole array.
    [PlProxy("CLUSTER 'userdb'; RUN ON hash_each(keys); SELECT current_database()::text || ':' || coalesce(cardinality(keys), 0)::text;")]
    Task<IReadOnlyList<string>> WhoamiMultiAsync(string?[]? keys, CancellationToken cancellationToken = default);

    [PlProxy("CLUSTER first_cluster(regions); RUN ON 0; SELECT current_database()::text;")]
    Task<string> DatabaseByRegionsAsync(string[] regions, CancellationToken cancellationToken = default);

    [PlProxy("CONNECT partition_of_mood(m); SELECT current_database()::text;")]
    Task<string> DatabaseByMoodAsync([PgType("mood")] Mood m, CancellationToken cancellationToken = default);

    [HashFunction("hash_each")]
    static IEnumerable<int?> HashEach(string?[]? keys) => keys?.Select(k => k is null ? (int?)null : PgHash.HashText(k)) ?? [];

    [ClusterFunction("first_cluster")]
    static string FirstCluster(IReadOnlyList<string> regions) => regions[0] == "eu" ? "userdb" : "userdb_rev";

    [ConnectFunction("partition_of_mood")]
    static string PartitionOfMood([PgType("mood")] Mood m) => PartitionDirectory.ConnectionStrings[m == Mood.Sad ? 1 : 2];
}

/// <summary>
/// Functions the body calls, with array and enum parameters, against server-side PL/Proxy over the same partitions:
/// the same rows in the same order, the same errors.
/// </summary>
[Collection(UserDbFixture.Collection)]
public sealed class FunctionParityTests(UserDbFixture fixture) : IAsyncLifetime
{
    private const string ProxyFunctions = """
        create or replace function plproxy.get_cluster_partitions(cluster_name text) returns setof text language sql as $$
            select connstr from plproxy.partitions order by case when cluster_name = 'userdb_rev' then -idx else idx end $$;
        create or replace function hash_each(keys text[]) returns setof int4 language sql as $$ select hashtext(k) from unnest(keys) k $$;
        create or replace function whoami_multi(keys text[]) returns setof text as $$
            cluster 'userdb'; run on hash_each(keys); select current_database()::text || ':' || coalesce(cardinality(keys), 0)::text; $$ language plproxy;
        create or replace function first_cluster(regions text[]) returns text language sql as $$
            select case when regions[1] = 'eu' then 'userdb' else 'userdb_rev' end $$;
        create or replace function database_by_regions(regions text[]) returns text as $$
            cluster first_cluster(regions); run on 0; select current_database()::text; $$ language plproxy;
        do $$ begin create type mood as enum ('sad', 'very_happy'); exception when duplicate_object then null; end $$;
        create or replace function partition_of_mood(m mood) returns text language sql as $$
            select connstr from plproxy.partitions where idx = case m when 'sad' then 1 else 2 end $$;
        create or replace function database_by_mood(m mood) returns text as $$
            connect partition_of_mood(m); select current_database()::text; $$ language plproxy;
        """;

    private PlProxyDataSource _source = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await fixture.Server.ExecuteAsync("proxy", ProxyFunctions, Token);
        string[] partitions = fixture.PartitionConnectionStrings;
        _source = PlProxyDataSource.Create(new PlProxyOptions()
            .AddCluster("userdb", partitions)
            .AddCluster("userdb_rev", [.. partitions.Reverse()]));
    }

    public async ValueTask DisposeAsync() => await _source.DisposeAsync();

    [Fact]
    public async Task SetReturningHashOverAnArray_CallsEachTaggedPartitionOnceWithTheWholeArray_InPlProxysOrder()
    {
        IFunctionParity db = _source.CreateProxy<IFunctionParity>();
        var random = new Random(1901);
        string[] pool = [.. Enumerable.Range(0, 12).Select(i => $"user{i}"), "ünïcødé-3", "missing"];
        for (int call = 0; call < 300; call++)
        {
            string?[]? keys = random.Next(20) switch
            {
                0 => null,
                1 => [],
                2 => [.. Enumerable.Repeat(pool[random.Next(pool.Length)], random.Next(1, 4))], // one key, repeated
                _ => [.. Enumerable.Range(0, random.Next(1, 7)).Select(_ => pool[random.Next(pool.Length)])],
            };

            IReadOnlyList<string> ours = await db.WhoamiMultiAsync(keys, Token);
            List<string> theirs = await TextRowsAsync("select * from whoami_multi($1::text[])", keys);

            Assert.Equal(theirs, ours);
        }
    }

    [Fact]
    public async Task SetReturningHashOverAnArray_ANullElement_FailsAsPlProxyDoes()
    {
        IFunctionParity db = _source.CreateProxy<IFunctionParity>();
        string?[] keys = ["user1", null];

        var ours = await Assert.ThrowsAsync<PlProxyException>(() => db.WhoamiMultiAsync(keys, Token));
        var theirs = await Assert.ThrowsAsync<PostgresException>(() => TextRowsAsync("select * from whoami_multi($1::text[])", keys));

        Assert.Equal(theirs.SqlState, ours.SqlState);
        Assert.Contains("Hash function returned NULL", theirs.MessageText, StringComparison.Ordinal);
        Assert.Contains("Hash function returned NULL", ours.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("eu")]
    [InlineData("us,eu")]
    [InlineData("eu,us,asia")]
    public async Task ClusterFunctionOverAnArray_ChoosesThePlProxyCluster(string list)
    {
        string[] regions = list.Split(',');
        IFunctionParity db = _source.CreateProxy<IFunctionParity>();

        string ours = await db.DatabaseByRegionsAsync(regions, Token);
        List<string> theirs = await TextRowsAsync("select database_by_regions($1::text[])", regions);

        Assert.Equal(Assert.Single(theirs), ours);
    }

    [Theory]
    [InlineData(Mood.Sad)]
    [InlineData(Mood.VeryHappy)]
    public async Task ConnectFunctionOverAnEnum_ConnectsWherePlProxyConnects(Mood mood)
    {
        IFunctionParity db = _source.CreateProxy<IFunctionParity>();

        string ours = await db.DatabaseByMoodAsync(mood, Token);
        List<string> theirs = await TextRowsAsync("select database_by_mood($1::mood)", mood == Mood.Sad ? "sad" : "very_happy");

        Assert.Equal(Assert.Single(theirs), ours);
    }

    private async Task<List<string>> TextRowsAsync(string sql, object? argument)
    {
        await using NpgsqlCommand command = fixture.PlProxy.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = argument ?? DBNull.Value, DataTypeName = sql.Contains("::mood", StringComparison.Ordinal) ? "text" : "text[]" });
        var rows = new List<string>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(Token);
        while (await reader.ReadAsync(Token))
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }
}

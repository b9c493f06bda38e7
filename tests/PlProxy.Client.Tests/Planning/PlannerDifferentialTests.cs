using Npgsql;
using NpgsqlTypes;
using PlProxy.Client.Language;
using PlProxy.Client.Planning;
using PlProxy.Client.Tests.Fixtures;
using PlProxy.Client.Tests.Hashing;

namespace PlProxy.Client.Tests.Planning;

/// <summary>
/// The planner against the real PL/Proxy: the same bodies are installed as PL/Proxy functions whose SELECT returns
/// <c>current_database()</c>, so every call shows which partitions PL/Proxy chose; the planner must choose the same.
/// </summary>
public sealed class PlannerDifferentialTests(PostgresServerFixture postgres)
{
    private sealed record ProxyFunction(string Name, string Arguments, string Body)
    {
        public string CreateSql => $"create or replace function {Name}({Arguments}) returns setof text as $body$ {Body} $body$ language plproxy;";

        public BoundFunction Bind(IFunctionCatalog? catalog = null)
        {
            Tests.Language.SqlFunctionDefinition definition = Tests.Language.SqlFunctionDefinition.Parse(CreateSql);
            BindResult result = Binder.Bind(Parser.Parse(Body), definition.Signature, catalog);
            Assert.True(result.Succeeded, string.Join("; ", result.Diagnostics));
            return result.Function!;
        }
    }

    private const string CurrentDatabase = "select current_database()::text;";
    private const string SplitReport = "select current_database() || ':' || coalesce(array_to_string(keys, ',', '~'), '');";

    private static readonly ProxyFunction Text = new("d_text", "key text", $"cluster 'mask8'; run on hashtext(key); {CurrentDatabase}");
    private static readonly ProxyFunction TextModular = new("d_text_mod", "key text", $"cluster 'mod5'; run on hashtext(key); {CurrentDatabase}");
    private static readonly ProxyFunction Int4Direct = new("d_int4", "id int4", $"cluster 'mask8'; run on id; {CurrentDatabase}");
    private static readonly ProxyFunction Int2Direct = new("d_int2", "id int2", $"cluster 'mask8'; run on $1; {CurrentDatabase}");
    private static readonly ProxyFunction Int8DirectModular = new("d_int8_mod", "id int8", $"cluster 'mod5'; run on id; {CurrentDatabase}");
    private static readonly ProxyFunction HashInt8 = new("d_hashint8", "id int8", $"cluster 'mask8'; run on hashint8(id); {CurrentDatabase}");
    private static readonly ProxyFunction Uuid = new("d_uuid", "u uuid", $"cluster 'mask8'; run on uuid_hash(u); {CurrentDatabase}");
    private static readonly ProxyFunction Extended = new("d_ext", "key text", $"cluster 'mod5'; run on hashtextextended(key, 7); {CurrentDatabase}");
    private static readonly ProxyFunction LowerConcat = new("d_lower", "key text, n int4", $"cluster 'mask8'; run on hashtext(lower(key) || '#' || n); {CurrentDatabase}");
    private static readonly ProxyFunction Exact = new("d_exact", "key text", $"cluster 'mask8'; run on 5; {CurrentDatabase}");
    private static readonly ProxyFunction ExactOutOfRange = new("d_exact_bad", "key text", $"cluster 'mask8'; run on 9; {CurrentDatabase}");
    private static readonly ProxyFunction AllShared = new("d_all_dup", "key text", $"cluster 'dup4'; run on all; {CurrentDatabase}");
    private static readonly ProxyFunction Split = new("d_split", "keys text[]", $"cluster 'mask8'; split keys; run on hashtext(keys); {SplitReport}");
    private static readonly ProxyFunction SplitModular = new("d_split_mod", "keys text[], tag text", $"cluster 'mod5'; split keys; run on hashtext(keys || tag); {SplitReport}");
    private static readonly ProxyFunction SplitShared = new("d_split_dup", "keys int4[]", $"cluster 'dup4'; split keys; run on keys; {SplitReport}");
    private static readonly ProxyFunction SplitAll = new("d_split_all", "keys text[]", $"cluster 'mask8'; split keys; run on all; {SplitReport}");
    private static readonly ProxyFunction SplitTwo = new("d_split_two", "keys text[], others text[]", $"cluster 'mask8'; split all; run on hashtext(others); {SplitReport}");

    private static readonly ProxyFunction[] All =
        [Text, TextModular, Int4Direct, Int2Direct, Int8DirectModular, HashInt8, Uuid, Extended, LowerConcat, Exact, ExactOutOfRange, AllShared, Split, SplitModular, SplitShared, SplitAll, SplitTwo];

    [Fact]
    public async Task Planner_ChoosesPlProxysPartition_ForHashtextOfGeneratedStrings()
    {
        string[] keys = [.. GeneratedInputs.AsciiOfEveryLength(60, 5, seed: 21), .. GeneratedInputs.Multibyte(300, 40, seed: 22)];
        await AssertSameRoutesAsync(Text, "mask8", keys, NpgsqlDbType.Text);
    }

    [Fact]
    public async Task Planner_ChoosesPlProxysPartition_UnderModularMapping()
    {
        string[] keys = GeneratedInputs.Multibyte(400, 30, seed: 23);
        await AssertSameRoutesAsync(TextModular, "mod5", keys, NpgsqlDbType.Text);
    }

    [Fact]
    public async Task Planner_ChoosesPlProxysPartition_ForInt4ArgumentAsHash()
    {
        int[] ids = GeneratedInputs.Int32s(300, seed: 24);
        await AssertSameRoutesAsync(Int4Direct, "mask8", ids, NpgsqlDbType.Integer);
    }

    [Fact]
    public async Task Planner_ChoosesPlProxysPartition_ForInt2ArgumentByPosition()
    {
        short[] ids = GeneratedInputs.Int16s(200, seed: 25);
        await AssertSameRoutesAsync(Int2Direct, "mask8", ids, NpgsqlDbType.Smallint);
    }

    [Fact]
    public async Task Planner_ChoosesPlProxysPartition_ForNegativeInt8UnderModularMapping()
    {
        long[] ids = GeneratedInputs.Int64s(300, seed: 26);
        await AssertSameRoutesAsync(Int8DirectModular, "mod5", ids, NpgsqlDbType.Bigint);
    }

    [Fact]
    public async Task Planner_ChoosesPlProxysPartition_ForHashint8UuidHashAndHashtextextended()
    {
        await AssertSameRoutesAsync(HashInt8, "mask8", GeneratedInputs.Int64s(150, seed: 27), NpgsqlDbType.Bigint);
        await AssertSameRoutesAsync(Uuid, "mask8", GeneratedInputs.Guids(150, seed: 28), NpgsqlDbType.Uuid);
        await AssertSameRoutesAsync(Extended, "mod5", GeneratedInputs.Multibyte(150, 20, seed: 29), NpgsqlDbType.Text);
    }

    [Fact]
    public async Task Planner_ChoosesPlProxysPartition_ForLowerAndConcatenationOfAsciiKeys()
    {
        string[] keys = GeneratedInputs.AsciiOfEveryLength(40, 5, seed: 30);
        PlProxyOracle oracle = await SetUpAsync();
        BoundFunction function = LowerConcat.Bind();
        ClusterLayout cluster = new("mask8", await oracle.PartitionsAsync("mask8"));

        await using NpgsqlCommand command = oracle.Proxy.CreateCommand(
            "select r from unnest(@keys) with ordinality t(k, i), lateral d_lower(t.k, i::int4) r order by i");
        command.Parameters.Add(new NpgsqlParameter("keys", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = keys });
        List<string> expected = await ReadColumnAsync(command);

        string[] actual = [.. keys.Select((key, i) => DatabaseOf(cluster, Planner.Plan(function, new ObjectArrayArguments([key, i + 1]), cluster, SharedRandomSource.Instance)))];
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task Planner_ChoosesTheNumberedPartition_ForRunOnNumber()
    {
        await AssertSameRoutesAsync(Exact, "mask8", ["a", "b", "c"], NpgsqlDbType.Text);
    }

    [Fact]
    public async Task Planner_RejectsPartitionNumberOutOfRange_LikePlProxy()
    {
        PlProxyOracle oracle = await SetUpAsync();
        string plProxyError = await PlProxyErrorAsync(oracle, "select * from d_exact_bad('a')");
        var cluster = new ClusterLayout("mask8", await oracle.PartitionsAsync("mask8"));

        var ours = Assert.Throws<PlProxyException>(() => Planner.Plan(ExactOutOfRange.Bind(), new ObjectArrayArguments(["a"]), cluster, SharedRandomSource.Instance));

        Assert.Contains("part number out of range", plProxyError, StringComparison.Ordinal);
        Assert.Contains("part number out of range", ours.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Planner_RejectsNullHash_LikePlProxy()
    {
        PlProxyOracle oracle = await SetUpAsync();
        string plProxyError = await PlProxyErrorAsync(oracle, "select * from d_text(null)");
        var cluster = new ClusterLayout("mask8", await oracle.PartitionsAsync("mask8"));

        var ours = Assert.Throws<PlProxyException>(() => Planner.Plan(Text.Bind(), new ObjectArrayArguments([null]), cluster, SharedRandomSource.Instance));

        Assert.Contains("Hash function returned NULL", plProxyError, StringComparison.Ordinal);
        Assert.Contains("Hash function returned NULL (argument key is NULL)", ours.Message, StringComparison.Ordinal);
        Assert.Equal("XX000", ours.SqlState);
    }

    [Fact]
    public async Task Planner_CallsEachSharedDatabaseOnce_ForRunOnAll()
    {
        PlProxyOracle oracle = await SetUpAsync();
        await using NpgsqlCommand command = oracle.Proxy.CreateCommand("select * from d_all_dup('x')");
        List<string> expected = await ReadColumnAsync(command);
        var cluster = new ClusterLayout("dup4", await oracle.PartitionsAsync("dup4"));

        ExecutionPlan plan = Planner.Plan(AllShared.Bind(), new ObjectArrayArguments(["x"]), cluster, SharedRandomSource.Instance);

        Assert.Equal(2, expected.Count);
        Assert.Equal(expected, Enumerable.Range(0, plan.Count).Select(i => DatabaseOf(cluster, plan[i].Connection)));
    }

    [Fact]
    public async Task Planner_SplitsArraysLikePlProxy_ForHashedElements()
    {
        await AssertSameSplitsAsync(Split, "mask8", GeneratedArrays(150, seed: 31), keys => [keys]);
    }

    [Fact]
    public async Task Planner_SplitsArraysLikePlProxy_UnderModularMappingWithAWholeArgument()
    {
        await AssertSameSplitsAsync(SplitModular, "mod5", GeneratedArrays(100, seed: 32), keys => [keys, "#tag"]);
    }

    [Fact]
    public async Task Planner_SplitsArraysLikePlProxy_OverSharedDatabasesWithElementsAsHashes()
    {
        var random = new Random(33);
        object?[][] arrays = [.. Enumerable.Range(0, 100).Select(_ => Enumerable.Range(0, random.Next(0, 12)).Select(_ => (object?)random.Next(-1000, 1000)).ToArray())];
        await AssertSameSplitsAsync(SplitShared, "dup4", arrays, keys => [keys]);
    }

    [Fact]
    public async Task Planner_GivesEveryDatabaseEveryElement_ForSplitWithRunOnAll()
    {
        await AssertSameSplitsAsync(SplitAll, "mask8", GeneratedArrays(20, seed: 34), keys => [keys]);
    }

    [Fact]
    public async Task Planner_SplitsAllArrays_ForSplitAll()
    {
        object?[][] arrays = GeneratedArrays(60, seed: 35);
        await AssertSameSplitsAsync(SplitTwo, "mask8", arrays, keys => [keys, keys.AsEnumerable().Reverse().ToArray()]);
    }

    [Fact]
    public async Task Planner_CallsNoDatabase_ForSplitOfNullOrEmptyArray()
    {
        PlProxyOracle oracle = await SetUpAsync();
        var cluster = new ClusterLayout("mask8", await oracle.PartitionsAsync("mask8"));
        await using NpgsqlCommand command = oracle.Proxy.CreateCommand("select * from d_split(null) union all select * from d_split('{}')");
        List<string> expected = await ReadColumnAsync(command);

        ExecutionPlan ofNull = Planner.Plan(Split.Bind(), new ObjectArrayArguments([null]), cluster, SharedRandomSource.Instance);
        ExecutionPlan ofEmpty = Planner.Plan(Split.Bind(), new ObjectArrayArguments([Array.Empty<string>()]), cluster, SharedRandomSource.Instance);

        Assert.Empty(expected);
        Assert.Equal(0, ofNull.Count);
        Assert.Equal(0, ofEmpty.Count);
    }

    [Fact]
    public async Task Planner_RejectsSplitArraysOfUnequalLength_LikePlProxy()
    {
        PlProxyOracle oracle = await SetUpAsync();
        string plProxyError = await PlProxyErrorAsync(oracle, "select * from d_split_two(array['a','b'], array['c'])");
        var cluster = new ClusterLayout("mask8", await oracle.PartitionsAsync("mask8"));

        var ours = Assert.Throws<PlProxyException>(() =>
            Planner.Plan(SplitTwo.Bind(), new ObjectArrayArguments([new[] { "a", "b" }, new[] { "c" }]), cluster, SharedRandomSource.Instance));

        Assert.Contains("split arrays must be of identical lengths", plProxyError, StringComparison.Ordinal);
        Assert.Contains("split arrays must be of identical lengths", ours.Message, StringComparison.Ordinal);
    }

    private async Task<PlProxyOracle> SetUpAsync()
    {
        PlProxyOracle oracle = await postgres.PlProxyAsync();
        await oracle.ExecuteAsync(string.Join('\n', All.Select(f => f.CreateSql)));
        return oracle;
    }

    // One round trip: PL/Proxy is called once per value, in order, and each call returns the database it ran on.
    private async Task AssertSameRoutesAsync<T>(ProxyFunction function, string clusterName, T[] values, NpgsqlDbType type)
    {
        PlProxyOracle oracle = await SetUpAsync();
        BoundFunction bound = function.Bind();
        var cluster = new ClusterLayout(clusterName, await oracle.PartitionsAsync(clusterName),
            clusterName == "mod5" ? PartitionMapping.Modular : PartitionMapping.Mask);

        await using NpgsqlCommand command = oracle.Proxy.CreateCommand(
            $"select r from unnest(@values) with ordinality t(v, i), lateral {function.Name}(t.v) r order by i");
        command.Parameters.Add(new NpgsqlParameter("values", NpgsqlDbType.Array | type) { Value = values });
        List<string> expected = await ReadColumnAsync(command);

        string[] actual = [.. values.Select(v => DatabaseOf(cluster, Planner.Plan(bound, new ObjectArrayArguments([v]), cluster, SharedRandomSource.Instance)))];

        Assert.Equal(values.Length, expected.Count);
        var mismatches = Enumerable.Range(0, values.Length).Where(i => expected[i] != actual[i]).Select(i => $"{values[i]}: PL/Proxy {expected[i]}, planner {actual[i]}").ToList();
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {values.Length} routes differ:\n{string.Join('\n', mismatches.Take(10))}");
    }

    // Each call returns one row per database called: "database:elements,in,order".
    private async Task AssertSameSplitsAsync(ProxyFunction function, string clusterName, object?[][] arrays, Func<object?[], object?[]> arguments)
    {
        PlProxyOracle oracle = await SetUpAsync();
        BoundFunction bound = function.Bind();
        var cluster = new ClusterLayout(clusterName, await oracle.PartitionsAsync(clusterName),
            clusterName == "mod5" ? PartitionMapping.Modular : PartitionMapping.Mask);
        string placeholders = string.Join(", ", bound.Signature.Parameters.Select((p, i) => $"${i + 1}::{p.Type.Name}"));
        int elements = 0;

        foreach (object?[] keys in arrays)
        {
            object?[] values = arguments(keys);
            await using NpgsqlCommand command = oracle.Proxy.CreateCommand(
                $"select * from {function.Name}({placeholders})");
            foreach (object? value in values)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = value is object?[] array ? ToTypedArray(array) : value });
            }

            List<string> expected = await ReadColumnAsync(command);

            ExecutionPlan plan = Planner.Plan(bound, new ObjectArrayArguments(values), cluster, SharedRandomSource.Instance);
            var actual = new List<string>();
            for (int t = 0; t < plan.Count; t++)
            {
                PlanTarget target = plan[t];
                string list = string.Join(',', target.Rows!.Select(r => keys[r]?.ToString() ?? "~"));
                actual.Add($"{DatabaseOf(cluster, target.Connection)}:{list}");
            }

            Assert.Equal(expected, actual);
            elements += keys.Length;
        }

        Assert.True(elements > 0);
    }

    private static object ToTypedArray(object?[] array) =>
        array.Length > 0 && array.All(v => v is int) ? array.Cast<int>().ToArray() : array.Select(v => (string?)v).ToArray();

    private static object?[][] GeneratedArrays(int count, int seed)
    {
        var random = new Random(seed);
        string[] pool = [.. GeneratedInputs.Multibyte(count * 6, 8, seed).Select(s => s.Replace(",", "", StringComparison.Ordinal).Replace("~", "", StringComparison.Ordinal))];
        return [.. Enumerable.Range(0, count).Select(_ => (object?[])[.. Enumerable.Range(0, random.Next(0, 14)).Select(_ => (object?)pool[random.Next(pool.Length)])])];
    }

    private static string DatabaseOf(ClusterLayout cluster, ExecutionPlan plan)
    {
        Assert.True(plan.IsSingle);
        return DatabaseOf(cluster, plan.SingleConnection);
    }

    private static string DatabaseOf(ClusterLayout cluster, int connection) => PlProxyOracle.DatabaseOf(cluster.ConnectionString(connection));

    private static async Task<List<string>> ReadColumnAsync(NpgsqlCommand command)
    {
        var values = new List<string>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    private static async Task<string> PlProxyErrorAsync(PlProxyOracle oracle, string sql)
    {
        await using NpgsqlCommand command = oracle.Proxy.CreateCommand(sql);
        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken));
        return error.MessageText;
    }
}

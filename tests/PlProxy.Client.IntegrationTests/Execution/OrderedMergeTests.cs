using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using PlProxy.Client.Configuration;
using PlProxy.Client.Proxies;

namespace PlProxy.Client.IntegrationTests.Execution;

/// <summary>
/// [MergeOrder] over four partitions against PostgreSQL's own ORDER BY over one database holding all their rows:
/// hundreds of random orders and limits over adversarial values, keyset pages, an early stop, bounded memory.
/// </summary>
public sealed class OrderedMergeTests(OrderedMergeFixture fixture) : IClassFixture<OrderedMergeFixture>
{
    private static readonly string[] Columns = ["i", "f", "t", "u", "ts", "n", "b", "by", "iv"];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private PlProxyDataSource BudgetedSource(int maxPerHost, TimeSpan timeout) => PlProxyDataSource.Create(
        new PlProxyOptions { MaxConnectionsPerHost = maxPerHost, ConnectionBudgetTimeout = timeout }.AddCluster("merged", fixture.PartitionStrings));

    private static readonly Func<DbDataReader, MergedRow> Row = r => new MergedRow(
        r.GetInt64(0), Value<int>(r, 1), Value<double>(r, 2), r.IsDBNull(3) ? null : r.GetString(3), Value<Guid>(r, 4), Value<DateTime>(r, 5),
        Value<decimal>(r, 6), Value<bool>(r, 7), r.IsDBNull(8) ? null : r.GetFieldValue<byte[]>(8), Value<NpgsqlInterval>(r, 9));

    private static readonly ProxyRowReader<MergedRow> ByPosition = ProxyRowReader<MergedRow>.ByPosition(Row);

    [Fact]
    public async Task MergedRows_ForHundredsOfRandomOrdersAndLimits_EqualOrderByOnOneDatabaseWhereANaiveSortDoesNot()
    {
        using PlProxyDataSource source = fixture.Source();
        await using var whole = NpgsqlDataSource.Create(fixture.Whole);
        List<MergedRow> everything = await UnorderedAsync(Token);
        var random = new Random(32);
        int combinations = 300, naiveWrong = 0;
        for (int c = 0; c < combinations; c++)
        {
            string spec = RandomSpec(random);
            int? limit = random.Next(3) == 0 ? null : random.Next(1, 60);
            ProxyMethod method = Method(spec);

            IReadOnlyList<MergedRow> merged = await ProxyCalls.ListAsync(source.Proxies, method, [spec, limit], ByPosition, Token);
            List<MergedRow> expected = await OracleAsync(whole, spec, limit);

            string[] keys = [.. spec.Split(',').Select(k => k.Trim().Split(' ')[0])];
            Assert.True(
                expected.Select(r => Key(r, keys)).SequenceEqual(merged.Select(r => Key(r, keys))),
                $"order by {spec} limit {limit?.ToString(CultureInfo.InvariantCulture) ?? "all"}: the merge differs from PostgreSQL's ORDER BY");
            naiveWrong += expected.Select(r => Key(r, keys)).SequenceEqual(NaiveSort(everything, spec, limit).Select(r => Key(r, keys))) ? 0 : 1;
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{combinations} orders and limits: the merge equals ORDER BY on all; a naive .NET sort of the same rows was wrong on {naiveWrong}");
        Assert.True(naiveWrong > combinations / 4, $"a naive sort was wrong on only {naiveWrong}: the values do not exercise the traps");
    }

    [Fact]
    public async Task MergedRows_OfKeysAtTheEdgesOfTheirTypes_EqualOrderByOnOneDatabase()
    {
        // Values .NET's decimal and DateTime cannot hold or tell apart: numerics past 28 digits, NaN and ±Infinity;
        // dates and timestamps BC, after 9999, and ±infinity beside 0001-01-01 (which DateTime reads alike).
        const string Schema = """
            create table edges (id int8 primary key, n numeric, d date, ts timestamp, tz timestamptz, tm time);
            create function edges_by(i_order text) returns setof edges language plpgsql as $$
            begin return query execute format('select * from edges order by %s', i_order); end $$;
            """;
        string[] numerics = ["null", "'NaN'", "'Infinity'", "'-Infinity'", "0", "0.000", "1.0", "1.00", "-1", "1e-40", "-1e-40", "2e-40",
            "0.1234567890123456789012345678901", "0.1234567890123456789012345678902", "123456789012345678901234567890.5", "123456789012345678901234567890.4",
            "79228162514264337593543950335", "79228162514264337593543950336", "-79228162514264337593543950336", "1e100", "-1e100", "10000", "9999.9999", "10000.00000001"];
        string[] dates = ["null", "'-infinity'", "'infinity'", "'4713-01-01 BC'", "'0001-12-31 BC'", "'0001-01-01'", "'0001-01-02'", "'9999-12-31'", "'10000-01-01'", "'5874897-12-31'", "'2026-01-01'"];
        string[] timestamps = ["null", "'-infinity'", "'infinity'", "'4713-01-01 00:00 BC'", "'0001-01-01 00:00'", "'0001-01-01 00:00:00.000001'", "'9999-12-31 23:59:59.999999'",
            "'10000-01-01 00:00'", "'294276-12-31 23:59:59.999999'", "'2026-01-01 00:00'"];
        string[] times = ["null", "'00:00'", "'24:00'", "'23:59:59.999999'", "'12:00'"];
        string[] partitions = new string[4];
        for (int p = 0; p < partitions.Length; p++)
        {
            partitions[p] = await fixture.Server.CreateDatabaseAsync($"merge_edge{p}", cancellationToken: Token);
            await fixture.Server.ExecuteAsync($"merge_edge{p}", Schema, Token);
        }

        string whole = await fixture.Server.CreateDatabaseAsync("merge_edge_all", cancellationToken: Token);
        await fixture.Server.ExecuteAsync("merge_edge_all", Schema, Token);
        var random = new Random(20261207);
        var byPartition = new List<string>[partitions.Length];
        var all = new List<string>();
        for (int id = 1; id <= 240; id++)
        {
            string ts = timestamps[random.Next(timestamps.Length)];
            string values = $"({id}, {numerics[random.Next(numerics.Length)]}, {dates[random.Next(dates.Length)]}, {ts}, {(ts == "null" ? ts : ts[..^1] + "+00'")}, {times[random.Next(times.Length)]})";
            (byPartition[id % partitions.Length] ??= []).Add(values);
            all.Add(values);
        }

        for (int p = 0; p < partitions.Length; p++)
        {
            await fixture.Server.ExecuteAsync($"merge_edge{p}", $"insert into edges values {string.Join(",", byPartition[p])}", Token);
        }

        await fixture.Server.ExecuteAsync("merge_edge_all", $"insert into edges values {string.Join(",", all)}", Token);
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxy.Client.Configuration.PlProxyOptions().AddCluster("edges", partitions));
        await using var oracle = NpgsqlDataSource.Create(whole);
        var ids = ProxyRowReader<long>.ByPosition(r => r.GetInt64(0));
        string[] orders = ["n, id", "n desc, id", "n nulls first, id desc", "d, id", "d desc nulls last, id", "ts, id", "ts desc, id", "tz, id", "tz desc, id", "tm desc, id",
            "d, n desc, id", "tz nulls first, n, id"];
        foreach (string order in orders)
        {
            ProxyMethod method = OrderedBy("edges_by", "edges", order);

            IReadOnlyList<long> merged = await ProxyCalls.ListAsync(source.Proxies, method, [order], ids, Token);

            await using NpgsqlCommand expected = oracle.CreateCommand($"select id from edges order by {order}");
            Assert.True((await IdsAsync(expected)).SequenceEqual(merged), $"order by {order}: the merge differs from PostgreSQL's ORDER BY");
        }
    }

    [Fact]
    public async Task Merge_OverMoreDatabasesOfAHostThanItsConnectionBudget_FailsAtOnceSayingWhatItNeeds()
    {
        using PlProxyDataSource source = BudgetedSource(maxPerHost: OrderedMergeFixture.Partitions - 2, TimeSpan.FromSeconds(20));
        var clock = Stopwatch.StartNew();

        PlProxyException error = await Assert.ThrowsAsync<PlProxyException>(() => source.CreateProxy<IPages>().PageAsync(null, 0, 5, Token)).WaitAsync(TimeSpan.FromSeconds(60), Token);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the merge that could never hold its {OrderedMergeFixture.Partitions} connections waited {clock.Elapsed} to fail");
        Assert.Equal(PostgresErrorCodes.TooManyConnections, error.SqlState);
        Assert.Contains($"Raise MaxConnectionsPerHost to at least {OrderedMergeFixture.Partitions}", error.Message);
    }

    [Fact]
    public async Task ConcurrentMerges_UnderAConnectionBudgetOfOneMergesDatabases_NeverHoldPartOfItWaitingForEachOther()
    {
        // A budget of exactly one merge's databases: two merges that each took part of it would wait for each other
        // until the budget's timeout (seen: 6–7 of 80 merges failed with 53300 before merges reserved their part whole).
        using PlProxyDataSource source = BudgetedSource(maxPerHost: OrderedMergeFixture.Partitions, TimeSpan.FromSeconds(5));
        await MergeConcurrentlyAsync(source);
    }

    [Fact]
    public async Task Merge_OverADatabaseItsClusterListsTwiceWrittenDifferently_NeedingMoreThanTheCap_FailsAtOnceSayingSo()
    {
        // The two strings are one pool and one cap (one database), so the merge needs two of its connections at once:
        // with one allowed, it waited for itself until the queue's timeout (here 10 minutes).
        using PlProxyDataSource source = RespelledSource(maxConnectionsPerPartition: 1, TimeSpan.FromMinutes(10));
        PlProxyException error = await Assert.ThrowsAsync<PlProxyException>(() => source.CreateProxy<IPages>().PageAsync(null, 0, 5, Token)).WaitAsync(TimeSpan.FromSeconds(60), Token);

        Assert.Equal(PostgresErrorCodes.TooManyConnections, error.SqlState);
        Assert.Contains("merge2", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxConnectionsPerPartition to at least 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConcurrentMerges_OverADatabaseItsClusterListsTwiceWrittenDifferently_NeverHoldSlotsWaitingForEachOther()
    {
        // Each merge takes two slots of merge2's gate: two merges that took one each waited for each other until the
        // queue's timeout. As PL/Proxy, the database is called once per string: its rows come twice.
        using PlProxyDataSource source = RespelledSource(maxConnectionsPerPartition: 2, TimeSpan.FromSeconds(5));
        using PlProxyDataSource alone = RespelledSource(maxConnectionsPerPartition: null, TimeSpan.FromSeconds(5));
        List<long> expected = [.. (await alone.CreateProxy<IPages>().PageAsync(null, 0, 40, Token)).Select(r => r.Id)];
        Assert.True(expected.Count > expected.Distinct().Count(), "merge2's rows come twice");

        await MergeConcurrentlyAsync(source, expected, 40);
    }

    // The fixture's four databases with the last string replaced by the third's keys in another order: one database,
    // named twice in strings that are not byte-identical (so called twice, as PL/Proxy calls it), one pool between them.
    private PlProxyDataSource RespelledSource(int? maxConnectionsPerPartition, TimeSpan connectionBudgetTimeout)
    {
        string[] partitions = [.. fixture.PartitionStrings];
        partitions[3] = string.Join(";", partitions[2].Split(';', StringSplitOptions.RemoveEmptyEntries).Reverse());
        return PlProxyDataSource.Create(new PlProxyOptions { ConnectionBudgetTimeout = connectionBudgetTimeout }.AddCluster("merged", cluster =>
        {
            foreach (string partition in partitions)
            {
                cluster.Partitions.Add(partition);
            }

            cluster.MaxConnectionsPerPartition = maxConnectionsPerPartition;
        }));
    }

    [Fact]
    public async Task ConcurrentMerges_WithOneConnectionPerPartition_NeverHoldSlotsWaitingForEachOther()
    {
        // Two merges that each took the one slot of some databases would wait for each other's until the queue's timeout
        // (seen: 8 of 80 merges failed with 53300 before merges took their slots in one order).
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions { ConnectionBudgetTimeout = TimeSpan.FromSeconds(5) }.AddCluster("merged", cluster =>
        {
            foreach (string partition in fixture.PartitionStrings)
            {
                cluster.Partitions.Add(partition);
            }

            cluster.MaxConnectionsPerPartition = 1;
        }));
        await MergeConcurrentlyAsync(source);
    }

    // 8 callers making 10 merges each: every merge's page as one merge alone gets it, none failing.
    private async Task MergeConcurrentlyAsync(PlProxyDataSource source)
    {
        using PlProxyDataSource unbudgeted = fixture.Source();
        await MergeConcurrentlyAsync(source, [.. (await unbudgeted.CreateProxy<IPages>().PageAsync(null, 0, 5, Token)).Select(r => r.Id)], 5);
    }

    private static async Task MergeConcurrentlyAsync(PlProxyDataSource source, List<long> expected, int limit)
    {
        IPages pages = source.CreateProxy<IPages>();
        int failed = 0;
        string? firstError = null;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(
            async () =>
            {
                for (int i = 0; i < 10; i++)
                {
                    try
                    {
                        Assert.Equal(expected, (await pages.PageAsync(null, 0, limit, Token)).Select(r => r.Id));
                    }
                    catch (PlProxyException e)
                    {
                        Interlocked.Increment(ref failed);
                        Interlocked.CompareExchange(ref firstError, e.Message, null);
                    }
                }
            },
            Token))).WaitAsync(TimeSpan.FromSeconds(120), Token);

        Assert.True(failed == 0, $"{failed} of 80 merges failed: {firstError}");
    }

    [Fact]
    public async Task KeysetPages_WithTiesOnTheFirstKey_ConcatenateToTheWholeOrderedResult()
    {
        using PlProxyDataSource source = fixture.Source();
        IPages pages = source.CreateProxy<IPages>();
        var seen = new List<long>();
        (int? afterI, long afterId) = (null, 0);
        while (true)
        {
            IReadOnlyList<PageRow> page = await pages.PageAsync(afterI, afterId, 17, Token);
            Assert.InRange(page.Count, 0, 17);
            if (page.Count == 0)
            {
                break;
            }

            seen.AddRange(page.Select(r => r.Id));
            (afterI, afterId) = (page[^1].I, page[^1].Id);
            if (afterI is null)
            {
                break; // NULLs come last: the page after a NULL key is the rest of the NULLs, fetched below
            }
        }

        await using var whole = NpgsqlDataSource.Create(fixture.Whole);
        await using NpgsqlCommand all = whole.CreateCommand("select id from rows where i is not null order by i, id");
        List<long> expected = await IdsAsync(all);

        Assert.Equal(expected, seen.Where(id => expected.Contains(id)).ToList()); // no row missing, none repeated, in order
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }

    [Fact]
    public async Task Limit_OverFourPartitionsOfAMillionRowsEach_ReturnsAtOnceAndLeavesNoStatementRunning()
    {
        using PlProxyDataSource source = fixture.Source();
        IPages pages = source.CreateProxy<IPages>();
        using var spans = new ActivityCapture();
        var took = Stopwatch.StartNew();
        var first = new List<long>();
        await foreach (long id in pages.ManyAsync(10, Token))
        {
            first.Add(id);
        }

        took.Stop();
        Assert.Equal([1, 1, 1, 1, 2, 2, 2, 2, 3, 3], first);
        // Each partition's span counts the rows the merge took from it: a handful, not its million.
        // (Spans of this merge's databases only: other test classes run calls meanwhile.)
        long[] taken = [.. spans.Activities.Where(a => a.Contains("db.namespace=merge", StringComparison.Ordinal))
            .Select(a => System.Text.RegularExpressions.Regex.Match(a, @"plproxy\.rows=(\d+)")).Where(m => m.Success)
            .Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))];
        Assert.Equal(4, taken.Length);
        Assert.All(taken, rows => Assert.InRange(rows, 0, 100));
        // About a second alone (each partition's function makes its million rows before the first is sent); the bound
        // leaves room for a machine busy with other tests.
        Assert.True(took.Elapsed < TimeSpan.FromSeconds(20), $"the limited merge took {took.Elapsed}");
        await using var server = NpgsqlDataSource.Create(fixture.Server.ConnectionString());
        await using NpgsqlCommand running = server.CreateCommand("select count(*) from pg_stat_activity where datname like 'merge%' and state = 'active' and query like '%many%'");
        Assert.Equal(0L, await running.ExecuteScalarAsync(Token));
        TestContext.Current.TestOutputHelper?.WriteLine($"10 of 4,000,000 rows in {took.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task MergedStream_OfFourMillionRows_HoldsABoundedNumberOfRows()
    {
        using PlProxyDataSource source = fixture.Source();
        IPages pages = source.CreateProxy<IPages>();
        long count = 0, previous = 0, peak = 0;
        long before = GC.GetTotalMemory(forceFullCollection: true);
        await foreach (long id in pages.ManyAsync(null, Token))
        {
            Assert.True(id >= previous);
            previous = id;
            if (++count % 500_000 == 0)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true) - before);
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{count} rows merged; the managed heap grew by at most {peak / 1024} KB");
        Assert.Equal(4_000_000, count);
        Assert.True(peak < 16 * 1024 * 1024, $"the heap grew by {peak} bytes while merging: rows are being held");
    }

    [Fact]
    public async Task TextKeys_OfADatabaseOrderingByICU_AreRefusedUnlessTheOrderDeclaresTheCCollation()
    {
        await fixture.Server.ExecuteAsync("postgres", "create database merge_icu template template0 encoding 'UTF8' locale 'C' locale_provider icu icu_locale 'en-US'", Token);
        await fixture.Server.ExecuteAsync("merge_icu", """
            create table rows (id int8 primary key, t text);
            insert into rows values (1, 'a'), (2, 'B'), (3, 'b'), (4, 'A');
            create function texts(i_order text) returns setof rows language plpgsql as $$
            begin return query execute format('select * from rows order by %s', i_order); end $$;
            """, Token);
        string partition = fixture.Server.ConnectionString("merge_icu");
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxy.Client.Configuration.PlProxyOptions().AddCluster("icu", partition, partition));
        ProxyMethod Texts(string spec) => OrderedBy("texts", "icu", spec);
        var read = ProxyRowReader<(long, string)>.ByPosition(r => (r.GetInt64(0), r.GetString(1)));

        PlProxyException refused = await Assert.ThrowsAsync<PlProxyException>(() => ProxyCalls.ListAsync(source.Proxies, Texts("t"), ["t"], read, Token));
        IReadOnlyList<(long, string)> merged = await ProxyCalls.ListAsync(source.Proxies, Texts("t COLLATE \"C\", id"), ["t collate \"C\", id"], read, Token);

        Assert.Contains("collation \"icu en-US\"", refused.Message, StringComparison.Ordinal);
        Assert.Equal(PostgresErrorCodes.FeatureNotSupported, refused.SqlState);
        Assert.Equal(["A", "B", "a", "b"], merged.Select(r => r.Item2)); // both partitions are one database: it runs once
    }

    [Fact]
    public async Task TextKeys_UnderAnEncodingWhoseBytesOrderOtherwise_AreRefused_AndUnderLatin1MergeAsOrderBy()
    {
        const string Schema = """
            create table rows (id int8 primary key, t text);
            create function texts(i_order text) returns setof rows language plpgsql as $$
            begin return query execute format('select * from rows order by %s', i_order); end $$;
            """;
        // In WIN1251 'ё' is byte 0xB8 and 'я' 0xFF, so the C collation puts ё first; by code point (U+0451, U+044F) я is first.
        var texts = new Dictionary<string, string[]>
        {
            ["WIN1251"] = ["'я'", "'ё'", "'a'", "'Z'", "'Ж'", "'ъ'", "'e'", "''"],
            ["LATIN1"] = ["'é'", "'ÿ'", "'a'", "'Z'", "'Ä'", "'ß'", "'e'", "''"],
        };
        var partitions = new Dictionary<string, string[]>();
        foreach (string encoding in texts.Keys)
        {
            string name = "merge_" + encoding.ToLowerInvariant();
            partitions[encoding] = new string[3];
            for (int p = 0; p < 3; p++)
            {
                await fixture.Server.ExecuteAsync("postgres", $"create database {name}{p} template template0 encoding '{encoding}' locale 'C'", Token);
                await fixture.Server.ExecuteAsync($"{name}{p}", Schema, Token);
                partitions[encoding][p] = fixture.Server.ConnectionString($"{name}{p}");
            }

            for (int id = 0; id < texts[encoding].Length; id++)
            {
                string text = texts[encoding][id];
                await fixture.Server.ExecuteAsync($"{name}{id % 2}", $"insert into rows values ({id}, {text})", Token);
                await fixture.Server.ExecuteAsync($"{name}2", $"insert into rows values ({id}, {text})", Token); // all of them: the oracle
            }
        }

        ProxyMethod Texts(string cluster, string spec) => OrderedBy("texts", cluster, spec);
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxy.Client.Configuration.PlProxyOptions()
            .AddCluster("win1251", partitions["WIN1251"][..2])
            .AddCluster("latin1", partitions["LATIN1"][..2]));
        var ids = ProxyRowReader<long>.ByPosition(r => r.GetInt64(0));

        PlProxyException refused = await Assert.ThrowsAsync<PlProxyException>(() => ProxyCalls.ListAsync(source.Proxies, Texts("win1251", "t, id"), ["t, id"], ids, Token));
        PlProxyException declared = await Assert.ThrowsAsync<PlProxyException>(() => ProxyCalls.ListAsync(source.Proxies, Texts("win1251", "t COLLATE \"C\", id"), ["t collate \"C\", id"], ids, Token));
        IReadOnlyList<long> merged = await ProxyCalls.ListAsync(source.Proxies, Texts("latin1", "t DESC, id"), ["t desc, id"], ids, Token);

        Assert.Contains("encoding WIN1251", refused.Message, StringComparison.Ordinal);
        Assert.Equal(PostgresErrorCodes.FeatureNotSupported, refused.SqlState);
        Assert.Contains("encoding WIN1251", declared.Message, StringComparison.Ordinal);
        await using var oracle = NpgsqlDataSource.Create(partitions["LATIN1"][2]);
        await using NpgsqlCommand expected = oracle.CreateCommand("select id from rows order by t desc, id");
        Assert.Equal(await IdsAsync(expected), merged);
    }

    [Theory]
    [InlineData("t", "t")] // the column's own ICU collation orders it: a, A, b, B
    [InlineData("id", "id DESC")] // the function orders the other way
    [InlineData("id NULLS FIRST", "id")] // NULLs placed otherwise (id 0 is NULL below)
    public async Task Rows_ThatAPartitionDoesNotReturnInTheMergeOrder_FailTheCallNamingItsDatabase_RatherThanMergeWrong(string mergeOrder, string functionOrder)
    {
        const string Schema = """
            create table rows (id int8, t text collate "und-x-icu");
            create function misordered(i_order text) returns setof rows language plpgsql as $$
            begin return query execute format('select * from rows order by %s', i_order); end $$;
            """;
        string[] partitions = new string[2];
        string name = "merge_mis_" + new string([.. (mergeOrder + "_" + functionOrder).ToLowerInvariant().Where(c => char.IsAsciiLetter(c) || c == '_')]);
        for (int p = 0; p < partitions.Length; p++)
        {
            partitions[p] = await fixture.Server.CreateDatabaseAsync($"{name}_{p}", cancellationToken: Token);
            await fixture.Server.ExecuteAsync($"{name}_{p}", Schema, Token);
        }

        await fixture.Server.ExecuteAsync($"{name}_0", "insert into rows values (null, 'a'), (2, 'B'), (4, 'c')", Token);
        await fixture.Server.ExecuteAsync($"{name}_1", "insert into rows values (1, 'A'), (3, 'b'), (5, 'C')", Token);
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxy.Client.Configuration.PlProxyOptions().AddCluster("misordered", partitions));
        ProxyMethod method = OrderedBy("misordered", "misordered", mergeOrder);
        var read = ProxyRowReader<string>.ByPosition(r => r.GetString(1));

        PlProxyException misordered = await Assert.ThrowsAsync<PlProxyException>(() => ProxyCalls.ListAsync(source.Proxies, method, [functionOrder], read, Token));

        Assert.Equal(PostgresErrorCodes.DataException, misordered.SqlState);
        Assert.Contains($"the rows of database {name}_", misordered.Message, StringComparison.Ordinal);
        Assert.Contains("do not come in the order", misordered.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_OfTimestampOnOnePartitionAndTimestamptzOnAnother_FailTheCall_ForWallClockAndUtcValuesDoNotCompare()
    {
        string[] partitions = new string[2];
        for (int p = 0; p < partitions.Length; p++)
        {
            partitions[p] = await fixture.Server.CreateDatabaseAsync($"merge_tz{p}", cancellationToken: Token);
            await fixture.Server.ExecuteAsync($"merge_tz{p}", $"""
                create table rows (id int8, at {(p == 0 ? "timestamp" : "timestamptz")});
                insert into rows values ({p}, '2026-01-01 00:00:00');
                create function at_by(i_order text) returns setof rows language plpgsql as $$
                begin return query execute format('select * from rows order by %s', i_order); end $$;
                """, Token);
        }

        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxy.Client.Configuration.PlProxyOptions().AddCluster("tz", partitions));

        PlProxyException mixed = await Assert.ThrowsAsync<PlProxyException>(
            () => ProxyCalls.ListAsync(source.Proxies, OrderedBy("at_by", "tz", "at"), ["at"], ProxyRowReader<long>.ByPosition(r => r.GetInt64(0)), Token));

        Assert.Equal(PostgresErrorCodes.DatatypeMismatch, mixed.SqlState);
        Assert.Contains("key at has different types on different partitions", mixed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TextKeys_WithOneConnectionPerPartition_MergeOnTheFirstCall_ForTheCollationLookupNeedsNoSecondConnection()
    {
        // The first text key of a database has its collation and encoding looked up (as the first enum key has its
        // labels) while the merge's own statement holds the partition's only connection.
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxy.Client.Configuration.PlProxyOptions().AddCluster("merged", cluster =>
        {
            foreach (string partition in fixture.PartitionStrings)
            {
                cluster.Partitions.Add(partition);
            }

            cluster.MaxConnectionsPerPartition = 1;
            cluster.ConnectTimeout = TimeSpan.FromSeconds(2);
        }));
        await using var whole = NpgsqlDataSource.Create(fixture.Whole);

        IReadOnlyList<MergedRow> merged = await ProxyCalls.ListAsync(source.Proxies, Method("t COLLATE \"C\", id"), ["t collate \"C\", id", null], ByPosition, Token).WaitAsync(TimeSpan.FromSeconds(30), Token);

        Assert.Equal((await OracleAsync(whole, "t collate \"C\", id", null)).Select(r => r.Id), merged.Select(r => r.Id));
    }

    [Fact]
    public async Task EnumKeys_AreMergedInTheLabelsDeclaredOrderNotAlphabetically()
    {
        const string Schema = """
            create type mood as enum ('sad', 'ok', 'happy');
            create table feelings (id int8 primary key, mood mood);
            create function feelings_by(i_order text) returns setof feelings language plpgsql as $$
            begin return query execute format('select * from feelings order by %s', i_order); end $$;
            """;
        string[] partitions = new string[4]; // the last one empty
        for (int p = 0; p < partitions.Length; p++)
        {
            partitions[p] = await fixture.Server.CreateDatabaseAsync($"merge_enum{p}", cancellationToken: Token);
            await fixture.Server.ExecuteAsync($"merge_enum{p}", Schema, Token);
        }

        string[] moods = ["happy", "sad", "ok", "happy", "sad", "ok", "ok", "happy", "sad"];
        for (int id = 0; id < moods.Length; id++)
        {
            await fixture.Server.ExecuteAsync($"merge_enum{id % 3}", $"insert into feelings values ({id}, '{moods[id]}')", Token);
        }

        await fixture.Server.ExecuteAsync($"merge_enum0", "insert into feelings values (100, null)", Token);
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxy.Client.Configuration.PlProxyOptions().AddCluster("enums", cluster =>
        {
            foreach (string partition in partitions)
            {
                cluster.Partitions.Add(partition);
            }

            cluster.MaxConnectionsPerPartition = 1; // the labels are known without a second connection beside the merge's statement
            cluster.ConnectTimeout = TimeSpan.FromSeconds(2);
        }));
        ProxyMethod byMood = OrderedBy("feelings_by", "enums", "mood DESC, id");
        var read = ProxyRowReader<(long Id, string? Mood)>.ByPosition(r => (r.GetInt64(0), r.IsDBNull(1) ? null : r.GetFieldValue<string>(1)));

        IReadOnlyList<(long Id, string? Mood)> merged = await ProxyCalls.ListAsync(source.Proxies, byMood, ["mood desc, id"], read, Token);

        Assert.Equal([null, "happy", "happy", "happy", "ok", "ok", "ok", "sad", "sad", "sad"], merged.Select(r => r.Mood));
        Assert.Equal([100, 0, 3, 7, 2, 5, 6, 1, 4, 8], merged.Select(r => r.Id));

        // A label added while the data source runs: the first call that meets it fails saying so, and the pools load
        // their types again, so later calls order it where the type declares it (above 'happy').
        for (int p = 0; p < partitions.Length; p++)
        {
            await fixture.Server.ExecuteAsync($"merge_enum{p}", "alter type mood add value 'ecstatic' after 'happy'", Token);
        }

        await fixture.Server.ExecuteAsync("merge_enum1", "insert into feelings values (200, 'ecstatic')", Token);
        PlProxyException unknown = await Assert.ThrowsAsync<PlProxyException>(() => ProxyCalls.ListAsync(source.Proxies, byMood, ["mood desc, id"], read, Token));
        Assert.Contains("'ecstatic'", unknown.Message, StringComparison.Ordinal);
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                merged = await ProxyCalls.ListAsync(source.Proxies, byMood, ["mood desc, id"], read, Token);
                break;
            }
            catch (PlProxyException e) when (e.Message.Contains("'ecstatic'", StringComparison.Ordinal) && waited.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(100, Token);
            }
        }

        Assert.Equal([100, 200, 0, 3, 7, 2, 5, 6, 1, 4, 8], merged.Select(r => r.Id));
    }

    // RUN ON ALL of a function given its ORDER BY as text (i_order), merged in mergeOrder.
    private static ProxyMethod OrderedBy(string function, string cluster, string mergeOrder) => ProxyMethod.Create(new ProxyMethodInfo
    {
        FunctionName = function,
        InterfaceBody = $"CLUSTER '{cluster}';",
        Body = "RUN ON ALL;",
        Parameters = [new ProxyParameterInfo { Name = "i_order", PgType = "text" }],
        ReturnsSet = true,
        MergeOrder = mergeOrder,
    });

    private static ProxyMethod Method(string spec) => ProxyMethod.Create(new ProxyMethodInfo
    {
        FunctionName = "ordered_rows",
        InterfaceBody = "CLUSTER 'merged';",
        Body = "RUN ON ALL;",
        Parameters = [new ProxyParameterInfo { Name = "i_order", PgType = "text" }, new ProxyParameterInfo { Name = "i_limit", PgType = "integer" }],
        ReturnsSet = true,
        MergeOrder = spec,
        LimitParameter = "i_limit",
    });

    private static string RandomSpec(Random random)
    {
        IEnumerable<string> keys = Columns.OrderBy(_ => random.Next()).Take(random.Next(1, 4)).Select(column =>
            column + (random.Next(3) switch { 0 => "", 1 => " ASC", _ => " DESC" }) + (random.Next(3) switch { 0 => "", 1 => " NULLS FIRST", _ => " NULLS LAST" }));
        return string.Join(", ", keys);
    }

    private static async Task<List<MergedRow>> OracleAsync(NpgsqlDataSource whole, string spec, int? limit)
    {
        await using NpgsqlCommand command = whole.CreateCommand("select * from ordered_rows($1, $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = spec });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)limit ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        return await ReadAsync(command);
    }

    private async Task<List<MergedRow>> UnorderedAsync(CancellationToken cancellationToken)
    {
        var rows = new List<MergedRow>();
        foreach (string partition in fixture.PartitionStrings)
        {
            await using var dataSource = NpgsqlDataSource.Create(partition);
            await using NpgsqlCommand command = dataSource.CreateCommand("select * from rows");
            rows.AddRange(await ReadAsync(command));
        }

        cancellationToken.ThrowIfCancellationRequested();
        return rows;
    }

    // The first column of every row: ids in the order the command returns them.
    private static async Task<List<long>> IdsAsync(NpgsqlCommand command)
    {
        var ids = new List<long>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(Token);
        while (await reader.ReadAsync(Token))
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    private static async Task<List<MergedRow>> ReadAsync(NpgsqlCommand command)
    {
        var rows = new List<MergedRow>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(Token);
        while (await reader.ReadAsync(Token))
        {
            rows.Add(Row(reader));
        }

        return rows;
    }

    // What a user writes without the library: every row, sorted with .NET's default comparers.
    private static IEnumerable<MergedRow> NaiveSort(List<MergedRow> rows, string spec, int? limit)
    {
        IOrderedEnumerable<MergedRow>? sorted = null;
        foreach (string key in spec.Split(','))
        {
            string[] words = key.Trim().Split(' ');
            bool descending = words.Contains("DESC");
            Func<MergedRow, object?> value = words[0] switch
            {
                "i" => r => r.I, "f" => r => r.F, "t" => r => r.T, "u" => r => r.U, "ts" => r => r.Ts, "n" => r => r.N, "b" => r => r.B,
                "by" => r => r.By is null ? null : Convert.ToHexString(r.By), _ => r => r.Iv?.Time,
            };
            Comparer<object?> comparer = Comparer<object?>.Default;
            sorted = sorted is null
                ? (descending ? rows.OrderByDescending(value, comparer) : rows.OrderBy(value, comparer))
                : (descending ? sorted.ThenByDescending(value, comparer) : sorted.ThenBy(value, comparer));
        }

        return limit is { } n ? sorted!.Take(n) : sorted!;
    }

    // The keys of a row as PostgreSQL compares them (-0 as 0, numeric without its scale, intervals by their span).
    private static string Key(MergedRow row, string[] keys) => string.Join("|", keys.Select(key => key switch
    {
        "i" => row.I?.ToString(CultureInfo.InvariantCulture),
        "f" => row.F is { } f ? (f == 0 ? "0" : f.ToString("R", CultureInfo.InvariantCulture)) : null,
        "t" => row.T,
        "u" => row.U?.ToString(),
        "ts" => row.Ts?.Ticks.ToString(CultureInfo.InvariantCulture),
        "n" => row.N?.ToString("G29", CultureInfo.InvariantCulture),
        "b" => row.B?.ToString(),
        "by" => row.By is null ? null : Convert.ToHexString(row.By),
        _ => row.Iv is { } iv ? (((Int128)iv.Months * 30 * 86_400_000_000L) + ((Int128)iv.Days * 86_400_000_000L) + iv.Time).ToString(CultureInfo.InvariantCulture) : null,
    } ?? "NULL"));

    private static T? Value<T>(DbDataReader reader, int ordinal)
        where T : struct => reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<T>(ordinal);
}

using Npgsql;
using PlProxy.Client.Hashing;

namespace PlProxy.Client.IntegrationTests;

/// <summary>Every statement form and return shape through the generated proxy, against real partitions.</summary>
[Collection(UserDbFixture.Collection)]
public sealed class ProxyCallTests(UserDbFixture fixture)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetBalance_OfEachUser_ComesFromItsHashPartition()
    {
        foreach (var user in fixture.Users.Where(u => u.Username.StartsWith("user1", StringComparison.Ordinal)))
        {
            Assert.Equal(user.Balance, await fixture.Db.GetBalanceAsync(user.Username, Token));
        }
    }

    [Fact]
    public async Task GetBalance_OfUnicodeUsers_HashesTheirUtf8Bytes()
    {
        foreach (var user in fixture.Users.Where(u => !u.Username.StartsWith("user", StringComparison.Ordinal)))
        {
            Assert.Equal(user.Balance, await fixture.Db.GetBalanceAsync(user.Username, Token));
        }
    }

    [Fact]
    public async Task GetUser_ReadsCompositeColumnsByName()
    {
        var user = fixture.Users[42];

        UserRow? row = await fixture.Db.GetUserAsync(user.Username, Token);

        Assert.Equal(new UserRow(user.Username, user.Balance, "EUR", user.Email), row);
    }

    [Fact]
    public async Task GetUser_OfMissingUser_IsNull() =>
        Assert.Null(await fixture.Db.GetUserAsync("nobody-at-all", Token));

    [Fact]
    public async Task GetStats_StreamsOneRowPerPartition()
    {
        var stats = new List<PartitionStats>();
        await foreach (PartitionStats row in fixture.Db.GetStatsAsync(Token))
        {
            stats.Add(row);
        }

        Assert.Equal(["part0", "part1", "part2", "part3"], stats.Select(s => s.Db).Order());
        Assert.Equal(fixture.Users.Count, stats.Sum(s => s.UserCount));
    }

    [Fact]
    public async Task GetStatsList_ConcatenatesPartitionsInPartitionOrder()
    {
        IReadOnlyList<PartitionStats> stats = await fixture.Db.GetStatsListAsync(Token);

        Assert.Equal(["part0", "part1", "part2", "part3"], stats.Select(s => s.Db));
        Assert.All(stats, s => Assert.Equal(fixture.Users.Count(u => UserDbFixture.PartitionDatabase(u.Partition) == s.Db), s.UserCount));
    }

    [Fact]
    public async Task AnyDatabase_RunsOnOneOfThePartitions() =>
        Assert.Matches("^part[0-3]$", await fixture.Db.AnyDatabaseAsync(Token));

    [Fact]
    public async Task AddBalances_SplitsArraysByHashAndReturnsEveryPartitionsRows()
    {
        string[] usernames = [.. fixture.Users.Where(u => u.Username.StartsWith("user15", StringComparison.Ordinal)).Select(u => u.Username)];
        decimal[] before = [.. await Task.WhenAll(usernames.Select(u => fixture.Db.GetBalanceAsync(u, Token)))];

        IReadOnlyList<string> updated = await fixture.Db.AddBalancesAsync(usernames, [.. usernames.Select(_ => 1m)], Token);

        Assert.Equal(usernames.Order(), updated.Order());
        decimal[] after = [.. await Task.WhenAll(usernames.Select(u => fixture.Db.GetBalanceAsync(u, Token)))];
        Assert.Equal(before.Select(b => b + 1), after);
        await fixture.Db.AddBalancesAsync(usernames, [.. usernames.Select(_ => -1m)], Token);
    }

    [Fact]
    public async Task AddBalances_OfEmptyArrays_CallsNoPartition() =>
        Assert.Empty(await fixture.Db.AddBalancesAsync([], [], Token));

    [Fact]
    public async Task AddBalances_OfArraysOfDifferentLengths_FailsBeforeAnyCall()
    {
        var error = await Assert.ThrowsAsync<PlProxyException>(() => fixture.Db.AddBalancesAsync(["user1", "user2"], [1m], Token));

        Assert.Contains("split arrays must be of identical lengths", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Email_UsesTheTargetFunction_AndReturnsNull()
    {
        Assert.Equal("user0@example.com", await fixture.Db.EmailAsync("user0", Token));
        Assert.Null(await fixture.Db.EmailAsync("user1", Token));
    }

    [Fact]
    public async Task GetAccount_RunsTheSelect_WithTheArgumentSubstitutedButNotTheAliasedColumn()
    {
        var user = fixture.Users[7];

        Assert.Equal(new Account(user.Balance, "EUR"), await fixture.Db.GetAccountAsync(user.Username, Token));
    }

    [Fact]
    public async Task GetBalances_WithReadOnlyListArgument_SplitsAndReadsRows()
    {
        string[] names = ["user3", "user77", "nobody", "user150", "日本語-3-🐘"];

        IReadOnlyList<UserBalance> rows = await fixture.Db.GetBalancesAsync(names, Token);

        Assert.Equal(
            fixture.Users.Where(u => names.Contains(u.Username)).Select(u => (u.Username, u.Balance)).Order(),
            rows.Select(r => (r.Username, r.Balance)).Order());
    }

    [Fact]
    public async Task NonSetMethod_WithNoRow_FailsWithNoDataFound()
    {
        var error = await Assert.ThrowsAsync<PlProxyException>(() => fixture.Db.BalanceOrNoRowAsync("nobody", Token));

        Assert.Equal("P0002", error.SqlState);
        Assert.Contains("Non-SETOF function requires 1 row from remote query, got 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonSetMethod_WithManyRows_FailsWithTooManyRows()
    {
        var error = await Assert.ThrowsAsync<PlProxyException>(() => fixture.Db.AnyBalanceAsync(Token));

        Assert.Equal("P0003", error.SqlState);
    }

    [Fact]
    public async Task NullForNonNullableResult_FailsNamingTheColumn()
    {
        var error = await Assert.ThrowsAsync<PlProxyException>(() => fixture.Db.GetBalanceAsync("nobody", Token));

        Assert.Contains("is NULL", error.Message, StringComparison.Ordinal);
        Assert.Null(await fixture.Db.FindBalanceAsync("nobody", Token));
    }

    [Fact]
    public async Task RemoteError_KeepsSqlStateDetailAndHint_AndNamesClusterPartitionAndDatabase()
    {
        var user = fixture.Users[5];

        var error = await Assert.ThrowsAsync<PlProxyException>(() => fixture.Db.RaiseAsync(user.Username, "22012", Token));

        Assert.Equal("22012", error.SqlState);
        Assert.Equal(("userdb", user.Partition, UserDbFixture.PartitionDatabase(user.Partition), "raise"), (error.Cluster, error.PartitionIndex, error.Database, error.Function));
        Assert.Contains($"[{UserDbFixture.PartitionDatabase(user.Partition)}] REMOTE ERROR: failing for {user.Username}", error.Message, StringComparison.Ordinal);
        var remote = Assert.IsType<PostgresException>(error.InnerException);
        Assert.Equal(("some detail", "some hint"), (remote.Detail, remote.Hint));
    }

    [Fact]
    public async Task Cancellation_CancelsTheRemoteStatement()
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(Token);
        cancellation.CancelAfter(TimeSpan.FromMilliseconds(300));
        var started = System.Diagnostics.Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fixture.Db.SleepAsync(30, cancellation.Token));

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"The call took {started.Elapsed} to cancel.");
    }

    [Fact]
    public async Task VoidValueTask_RunsForItsEffect()
    {
        await fixture.Db.SetEmailAsync("user199", "new@example.com", Token);
        Assert.Equal("new@example.com", await fixture.Db.EmailAsync("user199", Token));

        await fixture.Db.SetEmailAsync("user199", null, Token);
        Assert.Null(await fixture.Db.EmailAsync("user199", Token));
    }

    [Fact]
    public async Task ArgumentAsHash_RoutesByItsValue_AndNullableScalarReads()
    {
        Assert.Equal(42L, await fixture.Db.EchoAsync(142, Token));
        Assert.Equal(-7L, await fixture.Db.EchoAsync(-7, Token));
    }

    [Fact]
    public async Task RegisteredHashFunction_IsCalledForRouting()
    {
        var user = fixture.Users[9];

        Assert.Equal(user.Balance, await fixture.Db.GetBalanceByCustomHashAsync(user.Username, Token));
    }

    [Fact]
    public async Task NullHashArgument_FailsNamingTheArgument()
    {
        var error = await Assert.ThrowsAsync<PlProxyException>(() => fixture.Db.GetBalanceAsync(null!, Token));

        Assert.Contains("argument username is NULL", error.Message, StringComparison.Ordinal);
        Assert.Equal("XX000", error.SqlState);
    }

    [Fact]
    public async Task ConnectArgument_RunsOnThatDatabase() =>
        Assert.Equal("part2", await fixture.Db.DatabaseAtAsync(fixture.PartitionConnectionStrings[2], Token));

    [Fact]
    public async Task ConnectFunction_RunsOnTheDatabaseItReturns() =>
        Assert.Equal("part3", await fixture.Db.DatabaseOfPartitionAsync(3, Token));

    [Fact]
    public async Task ClusterFunction_ChoosesTheCluster()
    {
        var user = fixture.Users[3];

        Assert.Equal(user.Balance, await fixture.Db.RegionalBalanceAsync("eu", user.Username, Token));
        var error = await Assert.ThrowsAsync<PlProxyException>(() => fixture.Db.RegionalBalanceAsync("us", user.Username, Token));
        Assert.Contains("no such cluster: elsewhere", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryMappedType_RoundTrips()
    {
        var now = new DateTime(2026, 11, 24, 8, 30, 15, 123, DateTimeKind.Utc);
        var sent = new TypeEcho(
            -12, int.MinValue, long.MaxValue, true, 12345.6789m, Math.PI, 1.5f, Guid.NewGuid(), now, new DateOnly(2026, 2, 28), new TimeOnly(23, 59, 58),
            [0, 1, 255], ["a", "ü", "🐘"], [1, -2, 3], null, TimeSpan.FromMinutes(90), new DateTimeOffset(now), null, "varchar text");

        TypeEcho echo = await fixture.Db.EchoTypesAsync(
            sent.A, sent.B, sent.C, sent.D, sent.E, sent.F, sent.G, sent.H, sent.I, sent.J, sent.K, sent.L, sent.M, sent.N, sent.O, sent.P, sent.Q, sent.R, sent.S, Token);

        Assert.Equal(sent with { L = echo.L, M = echo.M, N = echo.N }, echo);
        Assert.Equal(sent.L, echo.L);
        Assert.Equal(sent.M, echo.M);
        Assert.Equal(sent.N, echo.N);
    }

    [Fact]
    public async Task EnumArgument_IsSentAsItsLabelAndCastToThePgType()
    {
        Assert.Equal("very_happy", await fixture.Db.MoodLabelAsync(Mood.VeryHappy, Token));
        Assert.Null(await fixture.Db.MoodLabelAsync(null, Token));
    }

    [Fact]
    public async Task FanOut_FailureOnOnePartition_SurfacesWithThatPartition()
    {
        var error = await Assert.ThrowsAsync<PlProxyException>(() => fixture.Db.FailOnPartitionTwoAsync(Token));

        Assert.Equal(("22012", 2, "part2"), (error.SqlState, error.PartitionIndex, error.Database));
    }

    [Fact]
    public async Task Stream_FailureOnOnePartition_EndsTheStreamWithIt()
    {
        int rows = 0;
        var error = await Assert.ThrowsAsync<PlProxyException>(async () =>
        {
            await foreach (int _ in fixture.Db.StreamThenFailAsync(Token))
            {
                rows++;
            }
        });

        Assert.Equal(("22012", "part1"), (error.SqlState, error.Database));
        Assert.InRange(rows, 0, (3 * 5000) + 4999); // part1 fails at its last row; never a complete result
    }

    [Fact]
    public async Task TextCommand_RunsABodyGivenAsText()
    {
        var source = (PlProxyDataSource)fixture.Services.GetService(typeof(PlProxyDataSource))!;
        var user = fixture.Users[11];

        decimal? balance = await source.ExecuteScalarAsync<decimal?>(
            new PlProxyCommand("get_balance", "CLUSTER 'userdb'; RUN ON hashtext(name);").Add("name", user.Username), Token);
        IReadOnlyList<string> databases = await source.QueryAsync(
            new PlProxyCommand("get_stats", "CLUSTER 'userdb'; RUN ON ALL;"), r => r.GetString(0), Token);

        Assert.Equal(user.Balance, balance);
        Assert.Equal(["part0", "part1", "part2", "part3"], databases);
    }

    [Fact]
    public async Task UnknownCluster_InATextBody_FailsWithPlProxysWording()
    {
        var source = (PlProxyDataSource)fixture.Services.GetService(typeof(PlProxyDataSource))!;

        var error = await Assert.ThrowsAsync<PlProxyException>(() => source.ExecuteAsync(new PlProxyCommand("f", "CLUSTER 'nowhere';"), Token));

        Assert.Contains("no such cluster: nowhere", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TextCommand_SplitOfAList_SendsEachElementOnlyToItsPartition()
    {
        var source = (PlProxyDataSource)fixture.Services.GetService(typeof(PlProxyDataSource))!;
        List<string> names = [.. fixture.Users.Take(100).Select(u => u.Username)];
        var command = new PlProxyCommand("received", "CLUSTER 'userdb'; SPLIT names; RUN ON hashtext(names); SELECT current_database()::text AS db, x AS name FROM unnest(names) x;")
            .Add("names", names, "text[]");

        IReadOnlyList<(string Db, string Name)> received = await source.QueryAsync(command, r => (r.GetString(0), r.GetString(1)), Token);

        Assert.Equal(names.Count, received.Count);
        Assert.All(received, r => Assert.Equal(UserDbFixture.PartitionDatabase(fixture.Users.Single(u => u.Username == r.Name).Partition), r.Db));
        Assert.Equal(names.Order(StringComparer.Ordinal), received.Select(r => r.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task TextCommand_SplitOfAReadOnlyCollection_KeepsEachPartitionsElementsInOrder()
    {
        var source = (PlProxyDataSource)fixture.Services.GetService(typeof(PlProxyDataSource))!;
        var names = new System.Collections.ObjectModel.ReadOnlyCollection<string>([.. fixture.Users.Take(60).Select(u => u.Username)]);
        var command = new PlProxyCommand("received", "CLUSTER 'userdb'; SPLIT names; RUN ON hashtext(names); SELECT current_database()::text AS db, x AS name FROM unnest(names) x;")
            .Add("names", names, "text[]");

        IReadOnlyList<(string Db, string Name)> received = await source.QueryAsync(command, r => (r.GetString(0), r.GetString(1)), Token);

        foreach (IGrouping<string, (string Db, string Name)> partition in received.GroupBy(r => r.Db))
        {
            Assert.Equal(names.Where(n => UserDbFixture.PartitionDatabase(Partitions.IndexOf(PgHash.HashText(n), UserDbFixture.PartitionCount)) == partition.Key), partition.Select(r => r.Name));
        }

        Assert.Equal(names.Count, received.Count);
    }

    [Fact]
    public async Task TextCommand_SplitOfASet_FailsBeforeAnyPartitionIsCalled()
    {
        var source = (PlProxyDataSource)fixture.Services.GetService(typeof(PlProxyDataSource))!;
        var command = new PlProxyCommand("received", "CLUSTER 'userdb'; SPLIT names; RUN ON hashtext(names); SELECT x FROM unnest(names) x;")
            .Add("names", new HashSet<string> { "user1", "user2" }, "text[]");

        var error = await Assert.ThrowsAsync<PlProxyException>(() => source.QueryAsync(command, r => r.GetString(0), Token));

        Assert.Contains("not an array", error.Message, StringComparison.Ordinal);
        Assert.Null(error.Database);
    }

    public static TheoryData<string> SingleRowShapes => new()
    {
        nameof(IUserDb.BalanceOrNoRowAsync), nameof(IUserDb.NullableBalanceOrNoRowAsync), nameof(IUserDb.AccountOrNoRowAsync),
        nameof(IUserDb.GetAccountAsync), nameof(IUserDb.CountOrNoRowAsync), nameof(IUserDb.EmailOrNoRowAsync),
        nameof(IUserDb.TouchOrNoRowAsync), nameof(IUserDb.TouchOrNoRowValueAsync),
    };

    [Theory]
    [MemberData(nameof(SingleRowShapes))]
    public async Task SingleRowShape_WhenTheRemoteQueryReturnsNoRow_FailsWithP0002(string shape)
    {
        var error = await Assert.ThrowsAsync<PlProxyException>(() => CallAsync(shape, "missing-user"));

        Assert.Equal("P0002", error.SqlState);
        Assert.Contains("Non-SETOF function requires 1 row from remote query, got 0", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(SingleRowShapes))]
    public async Task SingleRowShape_WhenTheRemoteQueryReturnsOneRow_Succeeds(string shape) =>
        await CallAsync(shape, fixture.Users[3].Username);

    [Fact]
    public async Task TextCommand_WhenTheRemoteQueryReturnsNoRow_FailsWithP0002()
    {
        var source = (PlProxyDataSource)fixture.Services.GetService(typeof(PlProxyDataSource))!;
        var command = new PlProxyCommand("f", "CLUSTER 'userdb'; RUN ON hashtext(name); SELECT u.balance FROM users u WHERE u.username = name;").Add("name", "missing-user");

        var scalar = await Assert.ThrowsAsync<PlProxyException>(() => source.ExecuteScalarAsync<decimal?>(command, Token));
        var execute = await Assert.ThrowsAsync<PlProxyException>(() => source.ExecuteAsync(command, Token));

        Assert.Equal(("P0002", "P0002"), (scalar.SqlState, execute.SqlState));
    }

    [Fact]
    public async Task RunOnAll_OverPartitionsSharingConnectionStrings_CallsEachDatabaseOnce()
    {
        string[] databases = fixture.PartitionConnectionStrings;
        var options = new Client.Configuration.PlProxyOptions().AddCluster("shared", databases[0], databases[1], databases[0], databases[1]);
        await using PlProxyDataSource source = PlProxyDataSource.Create(options);
        long[] before = [await CallsAsync(0), await CallsAsync(1)];

        IReadOnlyList<long> rows = await source.QueryAsync(new PlProxyCommand("note_call", "CLUSTER 'shared'; RUN ON ALL;"), r => r.GetInt64(0), Token);

        Assert.Equal(2, rows.Count);
        Assert.Equal([before[0] + 1, before[1] + 1], [await CallsAsync(0), await CallsAsync(1)]);
    }

    private async Task<long> CallsAsync(int partition)
    {
        await using var dataSource = NpgsqlDataSource.Create(fixture.PartitionConnectionStrings[partition]);
        await using NpgsqlCommand command = dataSource.CreateCommand("select case when is_called then last_value else 0 end from calls");
        return (long)(await command.ExecuteScalarAsync(Token))!;
    }

    private async Task CallAsync(string shape, string username)
    {
        IUserDb db = fixture.Db;
        switch (shape)
        {
            case nameof(IUserDb.BalanceOrNoRowAsync): await db.BalanceOrNoRowAsync(username, Token); break;
            case nameof(IUserDb.NullableBalanceOrNoRowAsync): await db.NullableBalanceOrNoRowAsync(username, Token); break;
            case nameof(IUserDb.AccountOrNoRowAsync): await db.AccountOrNoRowAsync(username, Token); break;
            case nameof(IUserDb.GetAccountAsync): await db.GetAccountAsync(username, Token); break;
            case nameof(IUserDb.CountOrNoRowAsync): await db.CountOrNoRowAsync(username, Token); break;
            case nameof(IUserDb.EmailOrNoRowAsync): await db.EmailOrNoRowAsync(username, Token); break;
            case nameof(IUserDb.TouchOrNoRowAsync): await db.TouchOrNoRowAsync(username, Token); break;
            case nameof(IUserDb.TouchOrNoRowValueAsync): await db.TouchOrNoRowValueAsync(username, Token); break;
            default: throw new ArgumentOutOfRangeException(nameof(shape), shape, "no such shape");
        }
    }
}

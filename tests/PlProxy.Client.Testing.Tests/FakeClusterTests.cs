using Microsoft.Extensions.DependencyInjection;
using PlProxy.Client.Hashing;

namespace PlProxy.Client.Testing.Tests;

public sealed record Account(decimal Balance, string Currency);

[PlProxy("CLUSTER 'userdb';")]
public interface IAccounts
{
    [PlProxy("RUN ON hashtext(username);")]
    Task<decimal> GetBalanceAsync(string username, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON hashtext(username); TARGET get_account;")]
    Task<Account?> GetAccountAsync(string username, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON ALL; SELECT current_database()::text;")]
    Task<IReadOnlyList<string>> DatabasesAsync(CancellationToken cancellationToken = default);

    [PlProxy("SPLIT usernames; RUN ON hashtext(usernames); SELECT current_database()::text;")]
    Task<IReadOnlyList<string>> DatabasesOfAsync(string[] usernames, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON hashtext(username); SELECT current_database()::text;")]
    Task<string> DatabaseOfAsync(string username, CancellationToken cancellationToken = default);

    [MergeOrder("r")]
    [PlProxy("RUN ON ALL; TARGET balances;")]
    Task<IReadOnlyList<decimal>> BalancesInOrderAsync(CancellationToken cancellationToken = default);

    [MergeOrder("r")]
    [PlProxy("RUN ON ALL; TARGET names;")]
    Task<IReadOnlyList<string>> NamesInOrderAsync(CancellationToken cancellationToken = default);
}

/// <summary>Fake clusters: real routing through the generated proxy, answers from memory, every call recorded.</summary>
public sealed class FakeClusterTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static int PartitionOf(string username) => Partitions.IndexOf(PgHash.HashText(username), 4);

    [Fact]
    public async Task HashCall_LandsOnTheUsersPartition_AndIsRecorded()
    {
        var cluster = new FakeCluster("userdb", 4).On("get_balance", call => FakeRows.Scalar(100m + call.Partition));
        await using PlProxyDataSource source = FakePlProxy.CreateDataSource(cluster);

        decimal balance = await source.CreateProxy<IAccounts>().GetBalanceAsync("user42", Token);

        FakeCall recorded = Assert.Single(cluster.Calls);
        Assert.Equal(100m + PartitionOf("user42"), balance);
        Assert.Equal(("userdb", PartitionOf("user42"), "get_balance", (object?)"user42"), (recorded.Cluster, recorded.Partition, recorded.Function, recorded.Arguments["username"]));
    }

    [Fact]
    public async Task RunOnAll_VisitsEveryPartitionOnce()
    {
        var cluster = new FakeCluster("userdb", 4).On("databases", call => FakeRows.Scalar($"p{call.Partition}"));
        await using PlProxyDataSource source = FakePlProxy.CreateDataSource(cluster);

        IReadOnlyList<string> databases = await source.CreateProxy<IAccounts>().DatabasesAsync(Token);

        Assert.Equal(["p0", "p1", "p2", "p3"], databases);
        Assert.Equal([0, 1, 2, 3], cluster.Calls.Select(c => c.Partition).Order());
    }

    [Fact]
    public async Task MergeOrder_OverFakePartitions_MergesTheirRowsInOrder()
    {
        var cluster = new FakeCluster("userdb", 4).On("balances", call => FakeRows.Scalars((decimal)call.Partition, call.Partition + 4m, call.Partition + 8m));
        await using PlProxyDataSource source = FakePlProxy.CreateDataSource(cluster);

        IReadOnlyList<decimal> balances = await source.CreateProxy<IAccounts>().BalancesInOrderAsync(Token);

        Assert.Equal(Enumerable.Range(0, 12).Select(i => (decimal)i), balances);
    }

    [Fact]
    public async Task MergeOrder_OfTextOverFakePartitions_MergesByCodePointAsTheCCollationDoes()
    {
        // By UTF-16 code unit, U+1F600 (a surrogate pair) would come before U+E000; by code point (UTF-8 bytes) after.
        string[][] perPartition = [["a", "\uE000"], ["b", "\U0001F600"], ["ab", "z"], []];
        var cluster = new FakeCluster("userdb", 4).On("names", call => FakeRows.Scalars([.. perPartition[call.Partition]]));
        await using PlProxyDataSource source = FakePlProxy.CreateDataSource(cluster);

        IReadOnlyList<string> names = await source.CreateProxy<IAccounts>().NamesInOrderAsync(Token);

        Assert.Equal(["a", "ab", "b", "z", "\uE000", "\U0001F600"], names);
    }

    [Fact]
    public async Task CompositeRows_AreReadByColumnName_AndPerPartitionHandlersWin()
    {
        var cluster = new FakeCluster("userdb", 4).On("get_account", _ => FakeRows.WithColumns("balance", "currency").Row(null, null)); // a NULL row
        cluster.Partition(PartitionOf("bob")).On("get_account", _ => FakeRows.WithColumns("currency", "balance").Row("USD", 12.5m));
        await using PlProxyDataSource source = FakePlProxy.CreateDataSource(cluster);
        IAccounts accounts = source.CreateProxy<IAccounts>();

        Assert.Equal(new Account(12.5m, "USD"), await accounts.GetAccountAsync("bob", Token));
        Assert.Null(await accounts.GetAccountAsync(Enumerable.Range(0, 100).Select(i => $"u{i}").First(u => PartitionOf(u) != PartitionOf("bob")), Token));
    }

    [Fact]
    public async Task HandlerValue_OfAnotherNumericType_IsReadAsNpgsqlReadsTheColumn()
    {
        // An int for a numeric result, as a test naturally writes it: Npgsql reads an integer column as a decimal too.
        var cluster = new FakeCluster("userdb", 4).On("get_balance", _ => FakeRows.Scalar(100));
        await using PlProxyDataSource source = FakePlProxy.CreateDataSource(cluster);

        Assert.Equal(100m, await source.CreateProxy<IAccounts>().GetBalanceAsync("user42", Token));
    }

    [Fact]
    public async Task HandlerValue_OfATypeTheMethodCannotRead_FailsNamingColumnAndTypes()
    {
        var cluster = new FakeCluster("userdb", 4).On("get_balance", _ => FakeRows.Scalar("100"));
        await using PlProxyDataSource source = FakePlProxy.CreateDataSource(cluster);

        var error = await Assert.ThrowsAsync<PlProxyException>(() => source.CreateProxy<IAccounts>().GetBalanceAsync("user42", Token));

        Assert.Contains("Column r holds a String (100), which the method cannot read as Decimal", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnhandledFunction_FailsNamingFunctionAndPartition()
    {
        await using PlProxyDataSource source = FakePlProxy.CreateDataSource(new FakeCluster("userdb", 4));

        var error = await Assert.ThrowsAsync<PlProxyException>(() => source.CreateProxy<IAccounts>().GetBalanceAsync("user42", Token));

        Assert.Contains($"partition {PartitionOf("user42")} has no handler for function get_balance", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task HandlerException_SurfacesAsARemoteErrorWithItsContext(bool asNpgsqlDoes)
    {
        var cluster = new FakeCluster("userdb", 4).On("get_balance", _ => throw (asNpgsqlDoes
            ? new Npgsql.PostgresException("insufficient funds", "ERROR", "ERROR", "23514")
            : new PlProxyException("insufficient funds", "23514")));
        await using PlProxyDataSource source = FakePlProxy.CreateDataSource(cluster);

        var error = await Assert.ThrowsAsync<PlProxyException>(() => source.CreateProxy<IAccounts>().GetBalanceAsync("user42", Token));

        // As a real partition's error: the remote SQLSTATE and message, and where it came from.
        Assert.Equal("23514", error.SqlState);
        Assert.Equal(("userdb", "get_balance", PartitionOf("user42"), $"userdb_p{PartitionOf("user42")}"), (error.Cluster, error.Function, error.PartitionIndex, error.Database));
        Assert.EndsWith("REMOTE ERROR: insufficient funds", error.Message, StringComparison.Ordinal);
        Assert.Equal("23514", Assert.IsType<Npgsql.PostgresException>(error.InnerException).SqlState);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task Split_SendsEachPartitionOnlyItsElements()
    {
        string[] names = [.. Enumerable.Range(0, 20).Select(i => $"user{i}")];
        var cluster = new FakeCluster("userdb", 4).On("databases_of", call => FakeRows.Scalars([.. ((string[])call.Arguments["usernames"]!).Cast<object?>()]));
        await using PlProxyDataSource source = FakePlProxy.CreateDataSource(cluster);

        IReadOnlyList<string> echoed = await source.CreateProxy<IAccounts>().DatabasesOfAsync(names, Token);

        Assert.Equal(names.Order(), echoed.Order());
        Assert.All(cluster.Calls, c => Assert.All((string[])c.Arguments["usernames"]!, n => Assert.Equal(c.Partition, PartitionOf(n))));
    }

    [Fact]
    public async Task AddPlProxyFakes_ReplacesTheRealDataSourceInDi()
    {
        var cluster = new FakeCluster("userdb", 4).On("get_balance", _ => FakeRows.Scalar(7m));
        var services = new ServiceCollection();
        services.AddPlProxyFakes(cluster).AddProxy<IAccounts>();
        await using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Equal(7m, await provider.GetRequiredService<IAccounts>().GetBalanceAsync("anyone", Token));
    }

    [Fact]
    public async Task FakeAndRealPartitions_AgreeOnRouting()
    {
        await using LocalPartitions partitions = await LocalPartitions.StartAsync(4, cancellationToken: Token);
        await using PlProxyDataSource real = PlProxyDataSource.Create(partitions.AddTo(new Configuration.PlProxyOptions(), "userdb"));
        var cluster = new FakeCluster("userdb", 4).On("database_of", call => FakeRows.Scalar($"part{call.Partition}"));
        await using PlProxyDataSource fake = FakePlProxy.CreateDataSource(cluster);
        string[] users = [.. Enumerable.Range(0, 200).Select(i => $"user{i}"), "ünïcode", "日本語"];

        foreach (string user in users)
        {
            Assert.Equal(await real.CreateProxy<IAccounts>().DatabaseOfAsync(user, Token), await fake.CreateProxy<IAccounts>().DatabaseOfAsync(user, Token));
        }

        Assert.Equal(users.Length, cluster.Calls.Count);
    }
}

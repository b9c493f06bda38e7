using PlProxy.Client.Configuration;
using PlProxy.Client.Testing;

namespace PlProxy.Client.IntegrationTests;

public sealed record ItemRow(int Id, string? Name);

[PlProxy("CLUSTER 'items'; RUN ON 0;")]
public interface IItems
{
    [PlProxy("TARGET get_item;")]
    Task<ItemRow?> GetItemAsync(int id, CancellationToken cancellationToken = default);

    [PlProxy("TARGET hold;")]
    Task<int> HoldAsync(double seconds, CancellationToken cancellationToken = default);
}

/// <summary>Statements are prepared automatically on direct connections; a partition's DDL must not break calls.</summary>
public sealed class PreparedStatementTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CompositeResult_ChangedByDdlAfterPreparation_IsStillRead()
    {
        await using LocalPartitions partitions = await LocalPartitions.StartAsync(1, """
            create type item as (id int, name text);
            create function get_item(i int) returns item language sql as $$ select i, 'n' || i $$;
            """, prefix: "prepared", cancellationToken: Token);
        using PlProxyDataSource source = PlProxyDataSource.Create(partitions.AddTo(new PlProxyOptions(), "items", c => c.MaxPoolSize = 1));
        IItems items = source.CreateProxy<IItems>();
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(new ItemRow(i, $"n{i}"), await items.GetItemAsync(i, Token)); // prepared after a few uses
        }

        await partitions.Server.ExecuteAsync(partitions.Databases[0], """
            drop function get_item(int);
            alter type item add attribute extra text;
            create function get_item(i int) returns item language sql as $$ select i, 'm' || i, 'x' $$;
            """, Token);

        Assert.Equal(new ItemRow(7, "m7"), await items.GetItemAsync(7, Token));
        Assert.Equal(new ItemRow(8, "m8"), await items.GetItemAsync(8, Token));
    }

    [Fact]
    public async Task CompositeResult_ChangedByDdlAfterPreparation_IsStillReadInASharedRoundTrip()
    {
        await using LocalPartitions partitions = await LocalPartitions.StartAsync(1, """
            create type item as (id int, name text);
            create function get_item(i int) returns item language sql as $$ select i, 'n' || i $$;
            create function hold(seconds float8) returns int language sql as $$ select 1 from pg_sleep(seconds) $$;
            """, prefix: "prepared_shared", cancellationToken: Token);
        using PlProxyDataSource source = PlProxyDataSource.Create(partitions.AddTo(new PlProxyOptions(), "items", c => c.MaxConnectionsPerPartition = 1));
        IItems items = source.CreateProxy<IItems>();
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(new ItemRow(i, $"n{i}"), await items.GetItemAsync(i, Token)); // prepared on the one connection
        }

        await partitions.Server.ExecuteAsync(partitions.Databases[0], """
            drop function get_item(int);
            alter type item add attribute extra text;
            create function get_item(i int) returns item language sql as $$ select i, 'm' || i, 'x' $$;
            """, Token);
        Task<int> holder = items.HoldAsync(0.3, Token);
        await Task.Delay(100, Token);
        Task<ItemRow?>[] shared = [.. Enumerable.Range(0, 10).Select(i => items.GetItemAsync(i, Token))]; // queued: one round trip

        ItemRow?[] rows = await Task.WhenAll(shared).WaitAsync(TimeSpan.FromSeconds(60), Token);

        Assert.Equal(1, await holder);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => new ItemRow(i, $"m{i}")), rows);
    }
}

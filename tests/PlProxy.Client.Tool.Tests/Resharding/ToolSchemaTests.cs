using Npgsql;
using PlProxy.Client.Testing;
using PlProxy.Client.Tool.Resharding;

namespace PlProxy.Client.Scaffold.Tests.Resharding;

/// <summary>
/// The tool's own tables in a proxy database (<c>plproxy_tool</c>), made on first use: operations on several clusters
/// of one proxy database, started at once, each find them made, none fails on PostgreSQL's catalog race.
/// </summary>
public sealed class ToolSchemaTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OperationsOfManyClustersRecordedAtOnce_InAProxyDatabaseWithoutTheToolsTables_AreAllRecorded()
    {
        await using LocalPostgresServer server = await LocalPostgresServer.StartAsync(cancellationToken: Token);
        for (int round = 0; round < 6; round++)
        {
            string proxy = await server.CreateDatabaseAsync($"tool_schema{round}", cancellationToken: Token);

            await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(
                () => new ReshardOperation(ReshardKind.Split, ["p0"], ["p0", "p1"]).RecordAsync(proxy, $"cluster{i}", Token), Token))).WaitAsync(TimeSpan.FromSeconds(60), Token);

            await using var database = NpgsqlDataSource.Create(proxy);
            await using NpgsqlCommand count = database.CreateCommand("select count(*)::int from plproxy_tool.operation");
            Assert.Equal(8, (int)(await count.ExecuteScalarAsync(Token))!);
        }
    }

    [Fact]
    public async Task DiffsOfManyClustersStartedAtOnce_InAProxyDatabaseWithoutTheToolsTables_AllStart()
    {
        await using LocalPostgresServer server = await LocalPostgresServer.StartAsync(cancellationToken: Token);
        for (int round = 0; round < 6; round++)
        {
            string proxy = await server.CreateDatabaseAsync($"tool_diff{round}", cancellationToken: Token);

            await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
            {
                await using var progress = new DiffProgress(proxy, $"cluster{i}");
                return await progress.StartAsync(resume: true, Token);
            }, Token))).WaitAsync(TimeSpan.FromSeconds(60), Token);

            await using var database = NpgsqlDataSource.Create(proxy);
            await using NpgsqlCommand exists = database.CreateCommand("select to_regclass('plproxy_tool.diff_progress') is not null");
            Assert.True((bool)(await exists.ExecuteScalarAsync(Token))!);
        }
    }
}

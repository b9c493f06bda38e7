using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using PlProxy.Client.Testing;

namespace WebApi.Tests;

/// <summary>
/// The API as it runs, over two real partition databases: the partitions named by connection strings
/// (<c>Name=Accounts0</c>) that configuration supplies, deposits written on the user's partition, health checks green.
/// </summary>
public sealed class AccountsApiOnPartitionsTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DepositThenBalance_OnRealPartitions_RoundTripsAndTheHealthCheckIsHealthy()
    {
        await using LocalPartitions partitions = await LocalPartitions.StartAsync(2, await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Schema.sql"), Token), prefix: "accounts", cancellationToken: Token);
        await using WebApplicationFactory<Program> api = new WebApplicationFactory<Program>().WithWebHostBuilder(host => host
            .UseSetting("ConnectionStrings:Accounts0", partitions.ConnectionStrings[0])
            .UseSetting("ConnectionStrings:Accounts1", partitions.ConnectionStrings[1]));
        HttpClient client = api.CreateClient();

        foreach (string user in new[] { "alice", "bob", "carol", "dave" })
        {
            HttpResponseMessage deposited = await client.PostAsJsonAsync($"/accounts/{user}/deposits", new Deposit(10m), Token);
            Assert.Equal(HttpStatusCode.OK, deposited.StatusCode);
        }

        await client.PostAsJsonAsync("/accounts/alice/deposits", new Deposit(5.5m), Token);
        Assert.Equal(15.5m, (await client.GetFromJsonAsync<AccountBalance>("/accounts/alice", Token))!.Balance);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/accounts/erin", Token)).StatusCode);

        PartitionCount[] counts = (await client.GetFromJsonAsync<PartitionCount[]>("/partitions", Token))!;
        Assert.Equal(["accounts0", "accounts1"], counts.Select(c => c.Db).Order(StringComparer.Ordinal));
        Assert.Equal(4, counts.Sum(c => c.Accounts));

        HttpResponseMessage health = await client.GetAsync("/health", Token);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync(Token));
    }

    private sealed record AccountBalance(string Username, decimal Balance);
}

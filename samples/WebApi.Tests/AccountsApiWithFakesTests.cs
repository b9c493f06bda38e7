using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using PlProxy.Client.Hashing;
using PlProxy.Client.Testing;

namespace WebApi.Tests;

/// <summary>The API in memory over fake clusters: routing is real, the partitions answer from the test.</summary>
public sealed class AccountsApiWithFakesTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static WebApplicationFactory<Program> Api(FakeCluster accounts) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(host => host.ConfigureTestServices(services => services.AddPlProxyFakes(accounts).AddProxy<IAccounts>()));

    [Fact]
    public async Task GetBalance_OfAUserWithAnAccount_IsTheBalanceItsPartitionGives()
    {
        var accounts = new FakeCluster("accounts", 2).On("get_balance", call => FakeRows.Scalar(100m + call.Partition));
        await using WebApplicationFactory<Program> api = Api(accounts);

        AccountBalance? body = await api.CreateClient().GetFromJsonAsync<AccountBalance>("/accounts/alice", Token);

        int partition = Partitions.IndexOf(PgHash.HashText("alice"), 2);
        Assert.Equal(new AccountBalance("alice", 100m + partition), body);
        Assert.Equal(partition, Assert.Single(accounts.Calls).Partition);
    }

    [Fact]
    public async Task GetBalance_OfAUserWithoutAnAccount_Is404()
    {
        var accounts = new FakeCluster("accounts", 2).On("get_balance", _ => FakeRows.Scalar(null));
        await using WebApplicationFactory<Program> api = Api(accounts);

        HttpResponseMessage response = await api.CreateClient().GetAsync("/accounts/nobody", Token);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Deposit_OfANegativeAmount_Is400AndCallsNoPartition()
    {
        var accounts = new FakeCluster("accounts", 2).On("deposit", _ => FakeRows.Scalar(0m));
        await using WebApplicationFactory<Program> api = Api(accounts);

        HttpResponseMessage response = await api.CreateClient().PostAsJsonAsync("/accounts/alice/deposits", new Deposit(-5m), Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(accounts.Calls);
    }

    private sealed record AccountBalance(string Username, decimal Balance);
}

using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using WebApi;

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);

// The clusters come from configuration (appsettings.json: PlProxy:Clusters); each partition names a connection string
// (Name=...) kept in ConnectionStrings, user secrets or the environment. A reload of either reconfigures the clusters.
builder.Services.AddPlProxy(builder.Configuration.GetSection("PlProxy"))
    .AddProxy<IAccounts>()
    .WarmUpOnStart(); // the host fails at start when a cluster the proxies name is missing
builder.Services.AddHealthChecks().AddPlProxy(); // each partition's reachability and circuit breaker
builder.Services.AddOpenTelemetry()
    .WithTracing(tracing => tracing.AddPlProxyInstrumentation())
    .WithMetrics(metrics => metrics.AddPlProxyInstrumentation());

WebApplication app = builder.Build();

app.MapGet("/accounts/{username}", async (string username, IAccounts accounts, CancellationToken cancellationToken) =>
    await accounts.GetBalanceAsync(username, cancellationToken) is { } balance
        ? Results.Ok(new { username, balance })
        : Results.NotFound());

app.MapPost("/accounts/{username}/deposits", async (string username, Deposit deposit, IAccounts accounts, CancellationToken cancellationToken) =>
{
    if (deposit.Amount <= 0)
    {
        return Results.ValidationProblem(new Dictionary<string, string[]> { ["amount"] = ["A deposit must be positive."] });
    }

    decimal balance = await accounts.DepositAsync(username, deposit.Amount, cancellationToken);
    return Results.Ok(new { username, balance });
});

app.MapGet("/partitions", async (IAccounts accounts, CancellationToken cancellationToken) => await accounts.CountAccountsAsync(cancellationToken));

app.MapHealthChecks("/health");

app.Run();

/// <summary>A deposit's body.</summary>
public sealed record Deposit(decimal Amount);

/// <summary>The entry point, visible to the tests' WebApplicationFactory.</summary>
public partial class Program;

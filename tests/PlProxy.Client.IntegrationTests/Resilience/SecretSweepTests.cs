using PlProxy.Client.Configuration;

namespace PlProxy.Client.IntegrationTests.Resilience;

[PlProxy("CONNECT target(key); SELECT 1::int4 AS r;")]
public interface ISecretTarget
{
    [PlProxy("")]
    Task<int> ProbeAsync(string key, CancellationToken cancellationToken = default);

    [ConnectFunction("target")]
    static string Target(string key) => SecretSweepTests.CurrentConnectionString;
}

/// <summary>
/// Passwords with spaces, quotes, backslashes, ';', '=' and non-ASCII letters, in connection strings of either form,
/// valid or not, through every error path — validation, CONNECT from a literal, an argument and a function, the proxy
/// database, a connection that fails — and no part of any of them in the exception chain, its ToString(), any log event
/// or any activity. Every password holds the markers S3CR3T and H1DD3N.
/// </summary>
[Collection(UserDbFixture.Collection)]
public sealed class SecretSweepTests(UserDbFixture fixture)
{
    private static readonly string[] Passwords = ["S3CR3T H1DD3N", "S3CR3T;H1DD3N", "S3CR3T=H1DD3N", "S3CR3T'H1DD3N", "S3CR3T\\H1DD3N", "ünï S3CR3T€H1DD3N"];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    internal static string CurrentConnectionString { get; private set; } = "";

    // Nothing listens on port 1, so a string that reads well fails to connect.
    public static TheoryData<string> ConnectionStrings()
    {
        var strings = new TheoryData<string>();
        foreach (string password in Passwords)
        {
            string quoted = password.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal);
            strings.Add($"host=127.0.0.1 port=1 password={password} dbname=x");
            strings.Add($"host=127.0.0.1 port=1 password='{quoted}' dbname=x connect_timeout=1");
            strings.Add($"Host=127.0.0.1;Port=1;Password={password};Database=x;Timeout=1");
            strings.Add($"Host=127.0.0.1;Password={password};Bogus=1");
        }

        return strings;
    }

    [Theory]
    [MemberData(nameof(ConnectionStrings))]
    public async Task ClusterPartition_FailsWithoutAnyPartOfThePassword(string connectionString)
    {
        using var logs = new CapturingLoggerProvider();
        using var activities = new ActivityCapture();
        Exception? error = await Record.ExceptionAsync(async () =>
        {
            await using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("c", connectionString), logs);
            await source.ExecuteScalarAsync<int>(new PlProxyCommand("f", "CLUSTER 'c'; RUN ON 0; SELECT 1;"), Token);
        });

        AssertNoSecret(error, logs, activities);
    }

    [Theory]
    [MemberData(nameof(ConnectionStrings))]
    public async Task ConnectLiteral_FailsWithoutAnyPartOfThePassword(string connectionString)
    {
        using var logs = new CapturingLoggerProvider();
        using var activities = new ActivityCapture();
        await using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("c", "Host=127.0.0.1;Port=1"), logs);

        Exception? error = await Record.ExceptionAsync(() => source.ExecuteScalarAsync<int>(
            new PlProxyCommand("f", $"CONNECT '{connectionString.Replace("'", "''", StringComparison.Ordinal)}'; SELECT 1;"), Token));

        AssertNoSecret(error, logs, activities);
    }

    [Theory]
    [MemberData(nameof(ConnectionStrings))]
    public async Task ConnectArgument_FailsWithoutAnyPartOfThePassword(string connectionString)
    {
        using var logs = new CapturingLoggerProvider();
        using var activities = new ActivityCapture();
        await using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("c", "Host=127.0.0.1;Port=1"), logs);

        Exception? error = await Record.ExceptionAsync(() => source.ExecuteScalarAsync<int>(new PlProxyCommand("f", "CONNECT cs; SELECT 1;").Add("cs", connectionString), Token));

        AssertNoSecret(error, logs, activities);
    }

    [Theory]
    [MemberData(nameof(ConnectionStrings))]
    public async Task ConnectFunction_FailsWithoutAnyPartOfThePassword(string connectionString)
    {
        using var logs = new CapturingLoggerProvider();
        using var activities = new ActivityCapture();
        await using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("c", "Host=127.0.0.1;Port=1"), logs);
        CurrentConnectionString = connectionString;

        Exception? error = await Record.ExceptionAsync(() => source.CreateProxy<ISecretTarget>().ProbeAsync("k", Token));

        AssertNoSecret(error, logs, activities);
    }

    [Theory]
    [MemberData(nameof(ConnectionStrings))]
    public async Task ProxyDatabasePartition_FailsWithoutAnyPartOfThePassword(string connectionString)
    {
        string proxy = await ProxyDatabaseAsync();
        string cluster = $"c{Guid.NewGuid():N}";
        await fixture.Server.ExecuteAsync("secret_proxy", $"insert into plproxy.parts values ('{cluster}', '{connectionString.Replace("'", "''", StringComparison.Ordinal)}')", Token);
        using var logs = new CapturingLoggerProvider();
        using var activities = new ActivityCapture();
        await using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().UseProxyDatabase(proxy), logs);

        Exception? error = await Record.ExceptionAsync(() => source.ExecuteScalarAsync<int>(new PlProxyCommand("f", $"CLUSTER '{cluster}'; RUN ON 0; SELECT 1;"), Token));

        AssertNoSecret(error, logs, activities);
    }

    [Fact]
    public async Task ValidPasswordOnAServerThatRefusesIt_FailsWithoutThePassword()
    {
        const string role = "secret_sweep_user";
        await fixture.Server.ExecuteAsync("postgres", $"do $$ begin if not exists (select from pg_roles where rolname = '{role}') then create role {role} login password 'other'; end if; end $$;", Token);
        using var logs = new CapturingLoggerProvider();
        using var activities = new ActivityCapture();
        // Trust authentication lets any password in: the call reaches a function that does not exist, a remote error.
        string partition = $"host={fixture.Server.Host} port={fixture.Server.Port} dbname=part0 user={role} password='S3CR3T\\'H1DD3N;x=y'";
        await using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("c", partition), logs);

        Exception? error = await Record.ExceptionAsync(() => source.ExecuteScalarAsync<int>(new PlProxyCommand("no_such_function", "CLUSTER 'c'; RUN ON 0;"), Token));

        Assert.Equal("42883", Assert.IsType<PlProxyException>(error).SqlState);
        AssertNoSecret(error, logs, activities);
    }

    private async Task<string> ProxyDatabaseAsync()
    {
        try
        {
            string proxy = await fixture.Server.CreateDatabaseAsync("secret_proxy", cancellationToken: Token);
            await fixture.Server.ExecuteAsync("secret_proxy", """
                create schema plproxy;
                create table plproxy.parts (cluster text, connstr text);
                create function plproxy.get_cluster_version(c text) returns int4 language sql as $$ select 1 $$;
                create function plproxy.get_cluster_partitions(c text) returns setof text language sql as $$ select connstr from plproxy.parts where cluster = c $$;
                create function plproxy.get_cluster_config(in c text, out key text, out val text) returns setof record language sql as $$ select null::text, null::text where false $$;
                """, Token);
            return proxy;
        }
        catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.DuplicateDatabase)
        {
            return fixture.Server.ConnectionString("secret_proxy");
        }
    }

    private static void AssertNoSecret(Exception? error, CapturingLoggerProvider logs, ActivityCapture activities)
    {
        Assert.NotNull(error);
        var texts = new List<string> { error.ToString() };
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            texts.Add(e.Message);
        }

        texts.AddRange(logs.Entries.Select(e => e.Text));
        texts.AddRange(activities.Activities);
        foreach (string marker in new[] { "S3CR3T", "H1DD3N" })
        {
            Assert.DoesNotContain(texts, t => t.Contains(marker, StringComparison.Ordinal));
        }
    }
}

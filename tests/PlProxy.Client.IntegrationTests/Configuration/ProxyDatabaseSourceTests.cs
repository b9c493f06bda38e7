using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PlProxy.Client.Hashing;
using PlProxy.Client.Telemetry;
using PlProxy.Client.Testing;

namespace PlProxy.Client.IntegrationTests.Configuration;

/// <summary>
/// Clusters read from an existing PL/Proxy proxy database, through PL/Proxy's configuration functions and through
/// SQL/MED, as PL/Proxy itself reads them.
/// </summary>
[Collection(UserDbFixture.Collection)]
public sealed class ProxyDatabaseSourceTests(UserDbFixture fixture) : IAsyncLifetime
{
    private const string ConfigSchema = """
        create extension if not exists plproxy;
        create schema if not exists plproxy;
        create table if not exists plproxy.cluster_partitions (cluster_name text, idx int, connstr text, primary key (cluster_name, idx));
        create table if not exists plproxy.cluster_versions (cluster_name text primary key, version int);
        create table if not exists plproxy.cluster_settings (cluster_name text, key text, val text);
        create or replace function plproxy.get_cluster_version(i_cluster text) returns int4 language plpgsql as $$
        declare v int4;
        begin
            select version into v from plproxy.cluster_versions where cluster_name = i_cluster;
            if not found then raise exception 'no such cluster: %', i_cluster; end if;
            return v;
        end $$;
        create table if not exists plproxy.partition_reads (cluster_name text);
        create or replace function plproxy.get_cluster_partitions(i_cluster text) returns setof text language plpgsql as $$
        begin
            insert into plproxy.partition_reads values (i_cluster); -- each read of a definition, counted
            return query select connstr from plproxy.cluster_partitions where cluster_name = i_cluster order by idx;
        end $$;
        create or replace function plproxy.get_cluster_config(in i_cluster text, out key text, out val text) returns setof record language sql as $$
            select key, val from plproxy.cluster_settings where cluster_name = i_cluster $$;
        """;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static int _databases;
    private string _proxy = "";

    public async ValueTask InitializeAsync()
    {
        string name = $"cfgproxy{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..30];
        _proxy = await fixture.Server.CreateDatabaseAsync(name, cancellationToken: Token);
        await fixture.Server.ExecuteAsync(name, ConfigSchema, Token);
        await DefineAsync("userdb", version: 1, [0, 1, 2, 3]);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private string Libpq(int partition) =>
        $"host={fixture.Server.Host} port={fixture.Server.Port} dbname={UserDbFixture.PartitionDatabase(partition)} user={LocalPostgresServer.Superuser}";

    private async Task ExecuteAsync(string sql)
    {
        await using var dataSource = NpgsqlDataSource.Create(_proxy);
        await using NpgsqlCommand command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(Token);
    }

    private Task DefineAsync(string cluster, int version, int[] databases, params (string Key, string Value)[] settings) =>
        ExecuteAsync($"""
            delete from plproxy.cluster_partitions where cluster_name = '{cluster}';
            delete from plproxy.cluster_settings where cluster_name = '{cluster}';
            insert into plproxy.cluster_versions values ('{cluster}', {version}) on conflict (cluster_name) do update set version = excluded.version;
            {string.Concat(databases.Select((d, i) => $"insert into plproxy.cluster_partitions values ('{cluster}', {i}, '{Libpq(d)}');"))}
            {string.Concat(settings.Select(s => $"insert into plproxy.cluster_settings values ('{cluster}', '{s.Key}', '{s.Value}');"))}
            """);

    private ServiceProvider Services(Action<PlProxy.Client.Configuration.PlProxyOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddPlProxy(options =>
        {
            options.UseProxyDatabase(_proxy);
            configure?.Invoke(options);
        }).AddProxy<IUserDb>();
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task PartitionStringsWithLibpqKeepaliveSettings_ServeTheCallsPlProxyServes()
    {
        // What production proxy databases often carry: libpq's TCP keepalive settings, which PL/Proxy hands to libpq.
        string proxy = await fixture.CreateProxyDatabaseAsync(
            "encoding 'UTF8'",
            "create function where_is(username text) returns text as $$ cluster 'userdb'; run on hashtext(username); select current_database()::text; $$ language plproxy;",
            Token,
            partitionSettings: " keepalives=1 keepalives_idle=30 keepalives_interval=10 keepalives_count=3 tcp_user_timeout=10000");
        await using var plProxy = NpgsqlDataSource.Create(proxy);
        await using PlProxyDataSource source = PlProxyDataSource.Create(new Client.Configuration.PlProxyOptions().UseProxyDatabase(proxy));

        foreach ((string username, _, _, _) in fixture.Users.Take(20))
        {
            await using NpgsqlCommand where = plProxy.CreateCommand("select where_is($1)");
            where.Parameters.Add(new NpgsqlParameter<string> { TypedValue = username });
            string expected = (string)(await where.ExecuteScalarAsync(Token))!;

            string? ours = await source.ExecuteScalarAsync<string>(
                new PlProxyCommand("where_is", "CLUSTER 'userdb'; RUN ON hashtext(username); SELECT current_database()::text;").Add("username", username), Token);

            Assert.Equal(expected, ours);
        }
    }

    [Fact]
    public async Task ParametersAndResultsDeclaredWithTypeModifiers_ReachThePartitionWhole_AsPlProxySendsThem()
    {
        // PostgreSQL drops a function argument's type modifier (varchar(5) is varchar), and PL/Proxy casts each argument
        // to the bare type. Cast to varchar(5), numeric(6,2), timestamp(0) or char(3), a value was cut or rounded without a
        // word: a longer key was stored cut, on the partition its whole value hashed to.
        foreach (int partition in Enumerable.Range(0, UserDbFixture.PartitionCount))
        {
            await fixture.Server.ExecuteAsync(UserDbFixture.PartitionDatabase(partition), """
                create or replace function typmod_echo(code varchar, amount numeric, at timestamp, tag bpchar) returns varchar language sql as $$
                    select current_database() || ' ' || code || ' ' || amount::text || ' ' || at::text || ' [' || tag::text || ']' $$;
                """, Token);
        }

        string proxy = await fixture.CreateProxyDatabaseAsync(
            "encoding 'UTF8'",
            "create function typmod_echo(code varchar(5), amount numeric(6,2), at timestamp(0), tag char(3)) returns varchar as $$ cluster 'userdb'; run on hashtext(code); $$ language plproxy;",
            Token);
        await using var plProxy = NpgsqlDataSource.Create(proxy);
        await using PlProxyDataSource source = PlProxyDataSource.Create(new Client.Configuration.PlProxyOptions().UseProxyDatabase(proxy));
        DateTime at = new DateTime(2026, 12, 7, 10, 11, 12, 345, DateTimeKind.Unspecified).AddTicks(6789);

        foreach (string code in (string[])["abc", "a-much-longer-code-0", "a-much-longer-code-1", "a-much-longer-code-2", "a-much-longer-code-3"])
        {
            await using NpgsqlCommand call = plProxy.CreateCommand("select typmod_echo($1, $2, $3, $4)");
            call.Parameters.Add(new NpgsqlParameter<string> { TypedValue = code });
            call.Parameters.Add(new NpgsqlParameter<decimal> { TypedValue = 1234.5678m });
            call.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = at, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Timestamp });
            call.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "abcdef" });
            string expected = (string)(await call.ExecuteScalarAsync(Token))!;

            string? ours = await source.ExecuteScalarAsync<string>(
                new PlProxyCommand("typmod_echo", "CLUSTER 'userdb'; RUN ON hashtext(code);")
                    .Add("code", code, "varchar(5)").Add("amount", 1234.5678m, "numeric(6,2)").Add("at", at, "timestamp(0)").Add("tag", "abcdef", "char(3)"),
                Token);

            Assert.Equal(expected, ours);
            Assert.Contains($" {code} 1234.5678 ", ours, StringComparison.Ordinal);
            Assert.EndsWith(" [abcdef]", ours, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task HashOfACharacterArgument_IgnoresItsTrailingSpaces_AsPlProxyRoutesIt()
    {
        // PostgreSQL's hashtext takes text: a char(n) argument is cast to it, its trailing spaces dropped. The client
        // refused the body ("function hashtext(character(8)) does not exist").
        string proxy = await fixture.CreateProxyDatabaseAsync(
            "encoding 'UTF8'",
            "create function where_code(code char(8)) returns text as $$ cluster 'userdb'; run on hashtext(code); select current_database()::text || ' [' || code::text || ']'; $$ language plproxy;",
            Token);
        await using var plProxy = NpgsqlDataSource.Create(proxy);
        await using PlProxyDataSource source = PlProxyDataSource.Create(new Client.Configuration.PlProxyOptions().UseProxyDatabase(proxy));
        string[] codes = [.. Enumerable.Range(0, 24).Select(i => $"c{i}" + new string(' ', i % 4)), "ünï  ", "a b ", "  lead", "tab\t"];

        foreach (string code in codes)
        {
            await using NpgsqlCommand call = plProxy.CreateCommand("select where_code($1)");
            call.Parameters.Add(new NpgsqlParameter<string> { TypedValue = code });
            string expected = (string)(await call.ExecuteScalarAsync(Token))!;

            string? ours = await source.ExecuteScalarAsync<string>(
                new PlProxyCommand("where_code", "CLUSTER 'userdb'; RUN ON hashtext(code); SELECT current_database()::text || ' [' || code::text || ']';").Add("code", code, "char(8)"),
                Token);

            Assert.Equal(expected, ours);
        }

        Assert.True(codes.Select(c => Partitions.IndexOf(PgHash.HashText(c.TrimEnd(' ')), UserDbFixture.PartitionCount)).Distinct().Count() > 1);
    }

    [Fact]
    public async Task ProxyDatabaseClusters_CapTheConnectionsOfTheClustersTheProxyDatabaseDefines()
    {
        var inUse = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        int most = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == TelemetryNames.SourceName && instrument.Name == TelemetryNames.ConnectionsInUse)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, change, tags, _) =>
        {
            string? database = null;
            bool ours = false; // this fixture's server: other tests' partitions may have the same names
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                database = tag.Key == TelemetryNames.DbNamespace ? tag.Value as string : database;
                ours |= tag.Key == TelemetryNames.ServerPort && Equals(tag.Value, fixture.Server.Port);
            }

            if (ours && database is not null)
            {
                int now = inUse.AddOrUpdate(database, (int)change, (_, n) => n + (int)change);
                int seen;
                while (now > (seen = Volatile.Read(ref most)) && Interlocked.CompareExchange(ref most, now, seen) != seen)
                {
                }
            }
        });
        listener.Start();
        await using ServiceProvider provider = Services(options => options.ProxyDatabaseClusters.MaxConnectionsPerPartition = 1);
        IUserDb db = provider.GetRequiredService<IUserDb>();
        var users = fixture.Users.Take(40).ToList();

        decimal[] balances = await Task.WhenAll(users.Select(u => Task.Run(() => db.GetBalanceAsync(u.Username, Token), Token))).WaitAsync(TimeSpan.FromSeconds(60), Token);

        Assert.Equal(users.Select(u => u.Balance), balances);
        Assert.Equal(1, most); // capped (only capped pools count their connections), at one per partition database
        Assert.All(inUse.Values, n => Assert.Equal(0, n));
    }

    [Fact]
    public async Task ProxyDatabaseClusters_WithCoalescingOff_SendEveryCallAloneThoughItQueues()
    {
        using var batches = new BatchSizes("part", fixture.Server.Port);
        await using ServiceProvider provider = Services(options =>
        {
            options.ProxyDatabaseClusters.MaxConnectionsPerPartition = 1;
            options.ProxyDatabaseClusters.CoalesceCalls = false;
        });
        IUserDb db = provider.GetRequiredService<IUserDb>();
        var users = fixture.Users.Take(40).ToList();

        decimal[] balances = await Task.WhenAll(users.Select(u => db.GetBalanceAsync(u.Username, Token))).WaitAsync(TimeSpan.FromSeconds(60), Token);

        Assert.Equal(users.Select(u => u.Balance), balances);
        Assert.Equal(0, batches.Largest); // the defaults (4 connections, coalescing) would have shared round trips here
    }

    [Fact]
    public async Task ConfigFunctions_DefineTheCluster()
    {
        await using ServiceProvider provider = Services();
        var user = fixture.Users[30];

        Assert.Equal(user.Balance, await provider.GetRequiredService<IUserDb>().GetBalanceAsync(user.Username, Token));
    }

    [Fact]
    public async Task VersionBump_MovesPartitions_ForTheNextCalls()
    {
        await using ServiceProvider provider = Services();
        IUserDb db = provider.GetRequiredService<IUserDb>();
        var user = fixture.Users.First(u => u.Partition == 2);
        Assert.Equal(user.Balance, await db.FindBalanceAsync(user.Username, Token));

        await DefineAsync("userdb", version: 2, [0, 1, 3, 2]); // partitions 2 and 3 trade databases
        int reloaded = await provider.GetRequiredService<PlProxyDataSource>().RefreshAsync(Token);

        Assert.Equal(1, reloaded);
        Assert.Null(await db.FindBalanceAsync(user.Username, Token));
        Assert.Equal(0, await provider.GetRequiredService<PlProxyDataSource>().RefreshAsync(Token));
    }

    [Fact]
    public async Task UnknownCluster_FailsWithTheProxyDatabasesMessage()
    {
        await using ServiceProvider provider = Services();
        var source = provider.GetRequiredService<PlProxyDataSource>();

        var error = await Assert.ThrowsAsync<PlProxyException>(() => source.ExecuteAsync(new PlProxyCommand("f", "CLUSTER 'nowhere';"), Token));

        Assert.Contains("no such cluster: nowhere", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigKeysInAnyCase_AreReadAsPlProxyReadsThem()
    {
        // PL/Proxy compares the keys of get_cluster_config without case: a proxy database it serves serves us too.
        await DefineAsync("mixedcase", version: 1, [0, 1, 2, 3], ("Query_Timeout", "5"), ("CONNECTION_LIFETIME", " 1800"));
        await ExecuteAsync("create function where_is_mixed(username text) returns text as $$ cluster 'mixedcase'; run on hashtext(username); select current_database()::text; $$ language plproxy;");
        await using var plProxy = NpgsqlDataSource.Create(_proxy);
        await using ServiceProvider provider = Services();
        var source = provider.GetRequiredService<PlProxyDataSource>();

        foreach ((string username, _, _, _) in fixture.Users.Take(8))
        {
            await using NpgsqlCommand where = plProxy.CreateCommand("select where_is_mixed($1)");
            where.Parameters.Add(new NpgsqlParameter<string> { TypedValue = username });
            string expected = (string)(await where.ExecuteScalarAsync(Token))!;

            string? ours = await source.ExecuteScalarAsync<string>(
                new PlProxyCommand("where_is_mixed", "CLUSTER 'mixedcase'; RUN ON hashtext(username); SELECT current_database()::text;").Add("username", username), Token);

            Assert.Equal(expected, ours);
        }
    }

    [Theory]
    [InlineData("null", "'5'", "key must not be NULL")]
    [InlineData("'query_timeout'", "null", "val must not be NULL")]
    public async Task NullConfigKeyOrValue_FailsTheClusterAsItFailsPlProxy(string key, string value, string message)
    {
        await ExecuteAsync($"""
            insert into plproxy.cluster_versions values ('nullconfig', 1) on conflict (cluster_name) do nothing;
            delete from plproxy.cluster_partitions where cluster_name = 'nullconfig';
            delete from plproxy.cluster_settings where cluster_name = 'nullconfig';
            insert into plproxy.cluster_partitions values ('nullconfig', 0, '{Libpq(0)}');
            insert into plproxy.cluster_settings values ('nullconfig', {key}, {value});
            create or replace function where_is_null(username text) returns text as $$ cluster 'nullconfig'; run on 0; select current_database()::text; $$ language plproxy;
            """);
        (PostgresException theirs, ArgumentException ours) = await RefusedByBothAsync("where_is_null", "nullconfig");

        Assert.Contains(message, theirs.MessageText, StringComparison.Ordinal);
        Assert.Contains(message, ours.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ColdStart_ManyFirstCallsOfAClusterAtOnce_ReadItsDefinitionOnce()
    {
        await DefineAsync("coldstart", version: 1, [0, 1, 2, 3]);
        await using ServiceProvider provider = Services();
        var source = provider.GetRequiredService<PlProxyDataSource>();

        string?[] databases = await Task.WhenAll(Enumerable.Range(0, 32).Select(i => source.ExecuteScalarAsync<string>(
            new PlProxyCommand("where_cold", "CLUSTER 'coldstart'; RUN ON 0; SELECT current_database()::text;"), Token))).WaitAsync(TimeSpan.FromSeconds(60), Token);

        Assert.All(databases, database => Assert.Equal(UserDbFixture.PartitionDatabase(0), database));
        await using var proxy = NpgsqlDataSource.Create(_proxy);
        Assert.Equal(1L, await proxy.CreateCommand("select count(*) from plproxy.partition_reads where cluster_name = 'coldstart'").ExecuteScalarAsync(Token));
    }

    [Fact]
    public async Task NullPartitionConnectionString_FailsTheClusterAsItFailsPlProxy()
    {
        await ExecuteAsync($"""
            insert into plproxy.cluster_versions values ('nullpart', 1) on conflict (cluster_name) do nothing;
            delete from plproxy.cluster_partitions where cluster_name = 'nullpart';
            insert into plproxy.cluster_partitions values ('nullpart', 0, '{Libpq(0)}'), ('nullpart', 1, null);
            create or replace function where_is_nullpart(username text) returns text as $$ cluster 'nullpart'; run on 0; select current_database()::text; $$ language plproxy;
            """);
        (PostgresException theirs, ArgumentException ours) = await RefusedByBothAsync("where_is_nullpart", "nullpart");

        Assert.Contains("connstr must not be NULL", theirs.MessageText, StringComparison.Ordinal);
        Assert.Contains("connstr must not be NULL (partition 1)", ours.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SqlMedServer_TakesTheWrappersOptionsBeforeItsOwn_AsPlProxyDoes()
    {
        // modular_mapping set on the wrapper applies to each of its servers: abs(hash % 4), not hash & 3, which differ
        // for negative hashes.
        await ExecuteAsync($"""
            alter foreign data wrapper plproxy options (add modular_mapping '1');
            create server medwrapped foreign data wrapper plproxy options (p0 '{Libpq(0)}', p1 '{Libpq(1)}', p2 '{Libpq(2)}', p3 '{Libpq(3)}');
            create user mapping for public server medwrapped;
            create function where_wrapped(username text) returns text as $$ cluster 'medwrapped'; run on hashtext(username); select current_database()::text; $$ language plproxy;
            """);
        await using ServiceProvider provider = Services();
        var source = provider.GetRequiredService<PlProxyDataSource>();
        await using var plProxy = NpgsqlDataSource.Create(_proxy);

        for (int i = 0; i < 64; i++)
        {
            await using NpgsqlCommand call = plProxy.CreateCommand($"select where_wrapped('user-{i}')");
            string theirs = (string)(await call.ExecuteScalarAsync(Token))!;
            string? ours = await source.ExecuteScalarAsync<string>(
                new PlProxyCommand("where_wrapped", "CLUSTER 'medwrapped'; RUN ON hashtext(username); SELECT current_database()::text;").Add("username", $"user-{i}"), Token);
            Assert.Equal(theirs, ours);
        }
    }

    [Theory]
    [InlineData(false, true, "permission denied for foreign server medrights")]
    [InlineData(true, false, "user mapping not found for")]
    public async Task SqlMedServer_ReadByARoleWithoutUsageOrAUserMapping_IsRefusedAsPlProxyRefusesIt(bool usage, bool mapping, string message)
    {
        string role = $"medrole_{Guid.NewGuid():N}"[..24];
        await ExecuteAsync($"""
            create role {role} login;
            create server medrights foreign data wrapper plproxy options (p0 '{Libpq(0)}');
            {(usage ? $"grant usage on foreign server medrights to {role};" : "")}
            {(mapping ? $"create user mapping for {role} server medrights;" : "")}
            create function where_rights(username text) returns text as $$ cluster 'medrights'; run on 0; select current_database()::text; $$ language plproxy;
            """);
        string asRole = new NpgsqlConnectionStringBuilder(_proxy) { Username = role }.ConnectionString;
        await using var plProxy = NpgsqlDataSource.Create(asRole);
        var services = new ServiceCollection();
        services.AddPlProxy(options => options.UseProxyDatabase(asRole));
        await using ServiceProvider provider = services.BuildServiceProvider();
        var source = provider.GetRequiredService<PlProxyDataSource>();

        await using NpgsqlCommand call = plProxy.CreateCommand("select where_rights('x')");
        var theirs = await Assert.ThrowsAsync<PostgresException>(() => call.ExecuteScalarAsync(Token));
        var ours = await Assert.ThrowsAsync<ArgumentException>(() => source.ExecuteAsync(new PlProxyCommand("where_rights", "CLUSTER 'medrights'; RUN ON 0;"), Token));

        Assert.Contains(message, theirs.MessageText, StringComparison.Ordinal);
        Assert.Contains(message, ours.Message, StringComparison.Ordinal);
    }

    // A one-argument PL/Proxy function of the proxy database called through PL/Proxy and through the client: each refuses it.
    private async Task<(PostgresException Theirs, ArgumentException Ours)> RefusedByBothAsync(string function, string cluster)
    {
        await using var plProxy = NpgsqlDataSource.Create(_proxy);
        await using ServiceProvider provider = Services();
        var source = provider.GetRequiredService<PlProxyDataSource>();

        await using NpgsqlCommand call = plProxy.CreateCommand($"select {function}('x')");
        var theirs = await Assert.ThrowsAsync<PostgresException>(() => call.ExecuteScalarAsync(Token));
        var ours = await Assert.ThrowsAsync<ArgumentException>(() => source.ExecuteAsync(new PlProxyCommand(function, $"CLUSTER '{cluster}'; RUN ON 0;"), Token));
        return (theirs, ours);
    }

    [Fact]
    public async Task UnknownConfigKey_FailsNamingTheKeyAndCluster()
    {
        await DefineAsync("badkeys", version: 1, [0], ("frobnicate", "1"));
        await using ServiceProvider provider = Services();
        var source = provider.GetRequiredService<PlProxyDataSource>();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => source.ExecuteAsync(new PlProxyCommand("any_database", "CLUSTER 'badkeys';"), Token));

        Assert.Contains("Unknown config param: frobnicate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidDefinitionInTheProxyDatabase_FailsNamingTheCluster_AndIsNotUsed()
    {
        await DefineAsync("three", version: 1, [0, 1, 2]);
        await ExecuteAsync("insert into plproxy.cluster_versions values ('garbage', 1); insert into plproxy.cluster_partitions values ('garbage', 0, 'host=127.0.0.1 bogus_key=1');");
        await using ServiceProvider provider = Services();
        var source = provider.GetRequiredService<PlProxyDataSource>();

        var three = await Assert.ThrowsAsync<PlProxyException>(() => source.ExecuteAsync(new PlProxyCommand("f", "CLUSTER 'three';"), Token));
        var garbage = await Assert.ThrowsAsync<PlProxyException>(() => source.ExecuteAsync(new PlProxyCommand("f", "CLUSTER 'garbage';"), Token));

        Assert.Contains("definition of cluster 'three' is invalid: Cluster 'three' has 3 partitions", three.Message, StringComparison.Ordinal);
        Assert.Contains("Partition 0 of cluster 'garbage' has an invalid connection string", garbage.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigSettings_AreApplied()
    {
        await DefineAsync("modular3", version: 1, [0, 1, 2], ("modular_mapping", "1"), ("query_timeout", "1"));
        await using ServiceProvider provider = Services();
        var source = provider.GetRequiredService<PlProxyDataSource>();

        IReadOnlyList<string> databases = await source.QueryAsync(new PlProxyCommand("any_database", "CLUSTER 'modular3'; RUN ON ALL;"), r => r.GetString(0), Token);
        var timeout = await Assert.ThrowsAsync<PlProxyException>(() => source.ExecuteAsync(new PlProxyCommand("pg_sleep", "CLUSTER 'modular3'; RUN ON 0;").Add("s", 20.0), Token));

        Assert.Equal(["part0", "part1", "part2"], databases);
        Assert.Equal("57014", timeout.SqlState);
    }

    [Fact]
    public async Task SqlMedServer_DefinesTheCluster_AndWinsOverTheConfigFunctions()
    {
        // The same name in the config functions points elsewhere: SQL/MED must win, as in PL/Proxy.
        await DefineAsync("medcluster", version: 1, [3]);
        await ExecuteAsync($"""
            create server medcluster foreign data wrapper plproxy options (
                p1 'host={fixture.Server.Host} port={fixture.Server.Port} dbname=part1',
                p0 'host={fixture.Server.Host} port={fixture.Server.Port} dbname=part0',
                connection_lifetime '1800');
            create user mapping for public server medcluster options (user '{LocalPostgresServer.Superuser}');
            create function med_databases() returns setof text as $$ cluster 'medcluster'; run on all; select current_database()::text; $$ language plproxy;
            """);
        await using ServiceProvider provider = Services();
        var source = provider.GetRequiredService<PlProxyDataSource>();

        IReadOnlyList<string> ours = await source.QueryAsync(new PlProxyCommand("any_database", "CLUSTER 'medcluster'; RUN ON ALL;"), r => r.GetString(0), Token);
        await using var proxy = NpgsqlDataSource.Create(_proxy);
        await using NpgsqlCommand plProxy = proxy.CreateCommand("select * from med_databases()");
        var theirs = new List<string>();
        await using (NpgsqlDataReader reader = await plProxy.ExecuteReaderAsync(Token))
        {
            while (await reader.ReadAsync(Token))
            {
                theirs.Add(reader.GetString(0));
            }
        }

        Assert.Equal(["part0", "part1"], ours);
        Assert.Equal(theirs, ours);
    }
}

using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Testing;

namespace PlProxy.Client.Scaffold.Tests.Security;

/// <summary>
/// <c>plproxy grant</c> and <c>plproxy verify --role</c> on two partitions of a proxy database's cluster: the application
/// role ends up able to execute exactly the published partition functions, and verify names everything beyond that.
/// </summary>
public sealed class GrantTests
{
    private const string PartitionSchema = """
        create table accounts (username text primary key, balance numeric not null);
        insert into accounts values ('alice', 100), ('bob', 50);
        create function get_balance(i_username text) returns numeric language sql security definer set search_path = pg_catalog, public as $$
            select balance from public.accounts where username = i_username $$;
        create function debit(i_username text, i_amount numeric) returns numeric language sql security definer set search_path = pg_catalog, public as $$
            update public.accounts set balance = balance - i_amount where username = i_username returning balance $$;
        create function unpublished() returns int language sql as $$ select 1 $$;
        """;

    private const string ProxyFunctions = """
        create extension plproxy;
        create function get_balance(i_username text) returns numeric language plproxy as $$ cluster 'users'; run on hashtext(i_username); $$;
        create function take(i_username text, i_amount numeric) returns numeric language plproxy as $$ cluster 'users'; run on hashtext(i_username); target debit; $$;
        create function everyone() returns setof text language plproxy as $$ cluster 'users'; run on all; select username from accounts; $$;
        create function elsewhere(i int4) returns int4 language plproxy as $$ cluster 'other'; run on 0; $$;
        """;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Grant_LeavesTheRoleExactlyThePublishedFunctions_TwiceChangesNothing_AndDryRunChangesNothing()
    {
        (LocalPartitions started, string proxy) = await ClusterWithRoleAsync("grant");
        await using LocalPartitions partitions = started;
        LocalPostgresServer server = partitions.Server;
        string[] grant = ["grant", "--proxy", proxy, "--cluster", "users", "--role", "app"];

        string before = await PrivilegesAsync(partitions);
        (int dry, string dryOutput, string dryError) = await Tool.RunAsync([.. grant, "--dry-run"]);
        Assert.True(dry == 0, dryError);
        Assert.Equal(before, await PrivilegesAsync(partitions)); // --dry-run changes nothing
        TestContext.Current.TestOutputHelper?.WriteLine(dryOutput);
        Assert.Contains("grant execute on function get_balance(text) to \"app\";", dryOutput, StringComparison.Ordinal);
        Assert.Contains("grant execute on function debit(text,numeric) to \"app\";", dryOutput, StringComparison.Ordinal);
        Assert.Contains("revoke all on all tables in schema \"public\" from \"app\", public;", dryOutput, StringComparison.Ordinal);
        Assert.Contains("not granted: everyone() runs a SELECT of its own", dryOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("elsewhere", dryOutput.Replace("not granted", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(dryOutput, "^begin;$", System.Text.RegularExpressions.RegexOptions.Multiline));
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(dryOutput, "^alter default privileges for role \"[^\"]+\" revoke all on functions from \"app\", public;$", System.Text.RegularExpressions.RegexOptions.Multiline));

        (int granted, _, string grantError) = await Tool.RunAsync(grant);
        Assert.True(granted == 0, grantError);
        string once = await PrivilegesAsync(partitions);
        Assert.Equal(0, (await Tool.RunAsync(grant)).ExitCode);
        Assert.Equal(once, await PrivilegesAsync(partitions)); // idempotent

        // The application, as app, through the library: the published functions work; anything else is refused.
        string[] asApp = [.. partitions.Databases.Select(d => $"Host={server.Host};Port={server.Port};Database={d};Username=app")];
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("users", asApp));
        Assert.Equal(100m, await source.ExecuteScalarAsync<decimal>(new PlProxyCommand("get_balance", "cluster 'users'; run on hashtext(i_username);").Add("i_username", "alice"), Token));
        Assert.Equal(40m, await source.ExecuteScalarAsync<decimal>(new PlProxyCommand("take", "cluster 'users'; run on hashtext(i_username); target debit;").Add("i_username", "bob").Add("i_amount", 10m), Token));
        PlProxyException select = await Assert.ThrowsAsync<PlProxyException>(() => source.QueryAsync(new PlProxyCommand("everyone", "cluster 'users'; run on all; select username from accounts;"), r => r.GetString(0), Token));
        PlProxyException unpublished = await Assert.ThrowsAsync<PlProxyException>(() => source.ExecuteScalarAsync<int>(new PlProxyCommand("unpublished", "cluster 'users'; run on 0;"), Token));
        await using var direct = NpgsqlDataSource.Create(asApp[0]);
        await using NpgsqlCommand create = direct.CreateCommand("create table mine (i int)");
        PostgresException created = await Assert.ThrowsAsync<PostgresException>(() => create.ExecuteNonQueryAsync(Token));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, select.SqlState);
        Assert.True(unpublished.SqlState == PostgresErrorCodes.InsufficientPrivilege, unpublished.ToString());
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, created.SqlState);
        Assert.Equal(0, (await Tool.RunAsync(["verify", "--proxy", proxy, "--cluster", "users", "--role", "app"])).ExitCode);

        // A function the owner deploys after the grant is not the role's either (PostgreSQL's own default would let
        // PUBLIC execute it).
        await server.ExecuteAsync(partitions.Databases[0], "create function deployed_later() returns int language sql as $$ select 4 $$;", Token);
        PlProxyException later = await Assert.ThrowsAsync<PlProxyException>(() => source.ExecuteScalarAsync<int>(new PlProxyCommand("deployed_later", "cluster 'users'; run on 0;"), Token));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, later.SqlState);
        Assert.Equal(0, (await Tool.RunAsync(["verify", "--proxy", proxy, "--cluster", "users", "--role", "app"])).ExitCode);
    }

    [Fact]
    public async Task VerifyRole_NamesEachPrivilegeBeyondThePublishedFunctionsWithItsFix_AndPassesOnceFixed()
    {
        (LocalPartitions partitions, string[] verify) = await GrantedAsync("vrole");
        await using LocalPartitions disposed = partitions;
        LocalPostgresServer server = partitions.Server;
        Assert.Equal(0, (await Tool.RunAsync(verify)).ExitCode);

        // What an operator might do afterwards, on the first partition.
        await server.ExecuteAsync(partitions.Databases[0], """
            grant select on accounts to public;
            create function extra() returns int language sql as $$ select 2 $$;
            grant execute on function extra() to public;
            create function risky() returns int language sql security definer as $$ select 3 $$;
            grant execute on function risky() to app;
            alter default privileges in schema public grant select on tables to app;
            alter default privileges grant execute on functions to public;
            """, Token);
        (int failed, string output, _) = await Tool.RunAsync(verify);

        Assert.Equal(1, failed);
        Assert.Contains("app can read or write table accounts", output, StringComparison.Ordinal);
        Assert.Contains("fix: revoke all on table accounts from \"app\", public;", output, StringComparison.Ordinal);
        Assert.Contains("app can execute extra(), which the proxy database does not publish", output, StringComparison.Ordinal);
        Assert.Contains("risky() runs as its owner (SECURITY DEFINER) without a fixed search_path", output, StringComparison.Ordinal);
        Assert.Contains("fix: alter function risky() set search_path = pg_catalog, \"public\";", output, StringComparison.Ordinal);
        Assert.Matches("tables that [^ ]+ makes in schema public from now on are granted to app or PUBLIC \\(default privileges\\)", output);
        Assert.Matches("fix: alter default privileges for role \"[^\"]+\" in schema \"public\" revoke all on tables from \"app\", public;", output);
        Assert.Matches("functions that [^ ]+ makes from now on are granted to app or PUBLIC", output);
        Assert.Matches("fix: alter default privileges for role \"[^\"]+\" revoke all on functions from \"app\", public;", output);

        await server.ExecuteAsync(partitions.Databases[0], Fixes(output), Token);
        (int passed, string after, _) = await Tool.RunAsync(verify);
        Assert.True(passed == 0, after);
    }

    [Fact]
    public async Task VerifyRole_NamesThePowersNoPrivilegeShows_AndPassesOnceFixed()
    {
        (LocalPartitions partitions, string[] verify) = await GrantedAsync("vpower");
        await using LocalPartitions disposed = partitions;
        LocalPostgresServer server = partitions.Server;

        // Privileges on objects pass the checks; each of these gives the role more all the same.
        await server.ExecuteAsync("postgres", """
            alter role app replication;
            grant pg_read_server_files to app;
            create role deployer;
            grant deployer to app;
            create role auditor noinherit;
            create role admin_group superuser;
            grant admin_group to auditor;
            grant auditor to app;
            """, Token);
        await server.ExecuteAsync(partitions.Databases[0], "create table deployed (n int); alter table deployed owner to deployer; create function app_owned() returns int language sql as $$ select 1 $$; alter function app_owned() owner to app;", Token);
        (int failed, string output, _) = await Tool.RunAsync(verify);

        Assert.Equal(1, failed);
        Assert.Contains("app may stream every database's data (REPLICATION)", output, StringComparison.Ordinal);
        Assert.Contains("fix: alter role \"app\" noreplication;", output, StringComparison.Ordinal);
        Assert.Contains("app is a member of pg_read_server_files, which may read or write the server's files or run programs on it", output, StringComparison.Ordinal);
        Assert.Contains("app is a member of deployer, which owns objects in this database", output, StringComparison.Ordinal);
        Assert.Contains("fix: revoke deployer from \"app\";", output, StringComparison.Ordinal);
        Assert.Contains("app owns objects in this database", output, StringComparison.Ordinal);
        Assert.Contains("fix: reassign owned by \"app\" to current_user;", output, StringComparison.Ordinal);
        // Through a role that does not inherit, a superuser role is one SET ROLE away; no privilege check counts it.
        Assert.Contains("app is a member of admin_group (through auditor), which may do anything on the server (SUPERUSER); app may SET ROLE to", output, StringComparison.Ordinal);
        Assert.Contains("fix: revoke auditor from \"app\";", output, StringComparison.Ordinal);

        await server.ExecuteAsync(partitions.Databases[0], Fixes(output), Token);
        (int passed, string after, _) = await Tool.RunAsync(verify);
        Assert.True(passed == 0, after);
    }

    [Fact]
    public async Task Grant_OfAClusterConfiguredInTheApplication_TakesTheFunctionsFromItsAssemblyOrAList()
    {
        await using LocalPartitions partitions = await LocalPartitions.StartAsync(2, """
            create table writes (id text primary key, key text not null);
            create function record_write(i_id text, i_key text) returns text language sql security definer set search_path = pg_catalog, public as $$
                insert into public.writes values (i_id, i_key) returning i_id $$;
            create function unpublished() returns int language sql as $$ select 1 $$;
            """, prefix: "appgrant", cancellationToken: Token);
        LocalPostgresServer server = partitions.Server;
        await server.ExecuteAsync("postgres", "create role app login", Token);
        string config = Path.Combine(Path.GetTempPath(), $"plproxy-grant-{Guid.NewGuid():N}.json");
        string[] libpq = [.. partitions.Databases.Select(d => ProxyDatabases.Libpq(server, d))];
        await File.WriteAllTextAsync(config, System.Text.Json.JsonSerializer.Serialize(new { PlProxy = new { Clusters = new { users = new { Partitions = libpq } } } }), Token);
        try
        {
            // The Resharding sample's generated IWrites calls record_write(text, text) on cluster 'users'.
            string[] fromAssembly = ["grant", "--config", config, "--cluster", "users", "--role", "app", "--assembly", Path.Combine(AppContext.BaseDirectory, "Resharding.dll")];
            (int dry, string dryOutput, string dryError) = await Tool.RunAsync([.. fromAssembly, "--dry-run"]);
            Assert.True(dry == 0, dryError);
            Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(dryOutput, System.Text.RegularExpressions.Regex.Escape("grant execute on function record_write(text,text) to \"app\";")));

            Assert.Equal(0, (await Tool.RunAsync(fromAssembly)).ExitCode);
            (int verified, string verifyOutput, _) = await Tool.RunAsync(["verify", "--config", config, "--cluster", "users", "--role", "app", "--functions", "record_write(text, text)"]);
            Assert.True(verified == 0, verifyOutput);

            string[] asApp = [.. partitions.Databases.Select(d => $"Host={server.Host};Port={server.Port};Database={d};Username=app")];
            using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("users", asApp));
            Assert.Equal("w1", await source.CreateProxy<global::Resharding.IWrites>().RecordWriteAsync("w1", "alice", Token));
            PlProxyException unpublished = await Assert.ThrowsAsync<PlProxyException>(() => source.ExecuteScalarAsync<int>(new PlProxyCommand("unpublished", "cluster 'users'; run on 0;"), Token));
            Assert.True(unpublished.SqlState == PostgresErrorCodes.InsufficientPrivilege, unpublished.ToString());

            (int missing, _, string missingError) = await Tool.RunAsync(["grant", "--config", config, "--cluster", "users", "--role", "app"]);
            Assert.NotEqual(0, missing);
            Assert.Contains("--assembly <app.dll> or --functions", missingError, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Fact]
    public async Task Grant_RunByARoleThatIsNotTheOtherCreators_RevokesItsOwnDefaults_AndNamesTheOthersItCannot()
    {
        // One partition whose functions the login role deployer made (it runs the grant, and is no superuser); the role
        // "Other Deployer" (a name that needs quoting) made one function too, and the database belongs to the superuser.
        await using LocalPartitions partitions = await LocalPartitions.StartAsync(1, """
            create role deployer login;
            create role "Other Deployer";
            create role app login;
            grant create on schema public to deployer, "Other Deployer";
            set role deployer;
            create function get_two() returns int language sql security definer set search_path = pg_catalog, public as $$ select 2 $$;
            set role "Other Deployer";
            create function other_made() returns int language sql as $$ select 5 $$;
            reset role;
            """, prefix: "defgrant", cancellationToken: Token);
        LocalPostgresServer server = partitions.Server;
        string config = Path.Combine(Path.GetTempPath(), $"plproxy-grant-{Guid.NewGuid():N}.json");
        string asDeployer = $"host={server.Host} port={server.Port} dbname={partitions.Databases[0]} user=deployer";
        await File.WriteAllTextAsync(config, System.Text.Json.JsonSerializer.Serialize(new { PlProxy = new { Clusters = new { users = new { Partitions = new[] { asDeployer } } } } }), Token);
        try
        {
            (int granted, string output, string error) = await Tool.RunAsync(["grant", "--config", config, "--cluster", "users", "--role", "app", "--functions", "get_two()"]);

            Assert.True(granted == 0, error);
            Assert.Contains("not covered: ", output, StringComparison.Ordinal);
            const string OthersFix = "alter default privileges for role \"Other Deployer\" revoke all on functions from \"app\", public;";
            Assert.Contains($"functions that Other Deployer makes from now on are granted to app or PUBLIC (default privileges) (fix, as that role: {OthersFix})", output, StringComparison.Ordinal);
            Assert.DoesNotContain("functions that deployer makes", output, StringComparison.Ordinal);

            // What deployer makes from now on is not app's; what other makes still is (PUBLIC's), as the grant said.
            await server.ExecuteAsync(partitions.Databases[0], """
                set role deployer;
                create function deployer_later() returns int language sql as $$ select 6 $$;
                set role "Other Deployer";
                create function other_later() returns int language sql as $$ select 7 $$;
                reset role;
                """, Token);
            await using var asApp = NpgsqlDataSource.Create($"Host={server.Host};Port={server.Port};Database={partitions.Databases[0]};Username=app");
            await using NpgsqlCommand deployerLater = asApp.CreateCommand("select deployer_later()");
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, (await Assert.ThrowsAsync<PostgresException>(() => deployerLater.ExecuteScalarAsync(Token))).SqlState);
            await using NpgsqlCommand otherLater = asApp.CreateCommand("select other_later()");
            Assert.Equal(7, await otherLater.ExecuteScalarAsync(Token));
            await using NpgsqlCommand published = asApp.CreateCommand("select get_two()");
            Assert.Equal(2, await published.ExecuteScalarAsync(Token));

            // The statement printed for the other creator, run by someone who may (here the superuser), covers it too.
            await server.ExecuteAsync(partitions.Databases[0], $"""
                {OthersFix}
                set role "Other Deployer";
                create function other_after_fix() returns int language sql as $$ select 8 $$;
                reset role;
                """, Token);
            await using NpgsqlCommand afterFix = asApp.CreateCommand("select other_after_fix()");
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, (await Assert.ThrowsAsync<PostgresException>(() => afterFix.ExecuteScalarAsync(Token))).SqlState);
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Theory]
    [InlineData("owner")]
    [InlineData("admin")]
    public async Task Grant_ToARoleThatOwnsThePartitionsObjectsOrIsASuperuser_IsRefusedChangingNothing(string role)
    {
        // The role that owns the tables and the definer functions over them: revoking its privileges would stop those
        // functions (they run as it); a superuser passes every privilege check, so nothing would be restricted.
        await using LocalPartitions partitions = await LocalPartitions.StartAsync(1, """
            create role owner login;
            create role admin login superuser;
            grant create on schema public to owner;
            set role owner;
            create table balances (username text primary key, balance numeric);
            insert into balances values ('alice', 10);
            create function get_balance(i_username text) returns numeric language sql security definer set search_path = pg_catalog, public as $$ select balance from balances where username = i_username $$;
            reset role;
            """, prefix: "ownergrant", cancellationToken: Token);
        LocalPostgresServer server = partitions.Server;
        string config = Path.Combine(Path.GetTempPath(), $"plproxy-grant-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, System.Text.Json.JsonSerializer.Serialize(new { PlProxy = new { Clusters = new { users = new { Partitions = new[] { partitions.ConnectionStrings[0] } } } } }), Token);
        try
        {
            (int granted, _, string error) = await Tool.RunAsync(["grant", "--config", config, "--cluster", "users", "--role", role, "--functions", "get_balance(text)"]);

            Assert.Equal(2, granted);
            Assert.Contains(role == "owner" ? "owner owns objects in" : "admin is a superuser", error, StringComparison.Ordinal);
            Assert.Contains("Nothing was changed", error, StringComparison.Ordinal);
            await using var asOwner = NpgsqlDataSource.Create($"Host={server.Host};Port={server.Port};Database={partitions.Databases[0]};Username=owner");
            await using NpgsqlCommand balance = asOwner.CreateCommand("select get_balance('alice')");
            Assert.Equal(10m, await balance.ExecuteScalarAsync(Token));
        }
        finally
        {
            File.Delete(config);
        }
    }

    // Two partitions of PartitionSchema, the login role app, and a proxy database with ProxyFunctions for cluster 'users'.
    [Fact]
    public async Task Grant_ThatADatabaseRefuses_ChangesNothingOnAnyDatabase()
    {
        (LocalPartitions started, string proxy) = await ClusterWithRoleAsync("grant_refused");
        await using LocalPartitions partitions = started;
        // The second database takes no GRANT or REVOKE (read-only), after the first one's ran.
        await partitions.Server.ExecuteAsync("postgres", $"alter database \"{partitions.Databases[1]}\" set default_transaction_read_only = on", Token);
        string before = await PrivilegesAsync(partitions);

        (int exitCode, string output, string error) = await Tool.RunAsync(["grant", "--proxy", proxy, "--cluster", "users", "--role", "app"]);

        Assert.Equal(2, exitCode);
        Assert.Contains("refused the grant: cannot execute REVOKE in a read-only transaction (SQLSTATE 25006). Nothing was changed on any database.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("may execute", output, StringComparison.Ordinal);
        Assert.Equal(before, await PrivilegesAsync(partitions)); // the first database's part was rolled back with the rest
    }

    [Fact]
    public async Task Grant_RunByTwoProcessesAtOnce_SucceedsInBoth_AndLeavesWhatOneRunLeaves()
    {
        (LocalPartitions started, string proxy) = await ClusterWithRoleAsync("grant_twice");
        await using LocalPartitions partitions = started;
        string[] grant = ["grant", "--proxy", proxy, "--cluster", "users", "--role", "app"];
        Assert.Equal(0, (await Tool.RunAsync(grant)).ExitCode);
        string granted = await PrivilegesAsync(partitions);

        // Mostly in this process (the two runs overlap most), and twice as two processes, as two pipelines run it.
        for (int round = 0; round < 12; round++)
        {
            foreach (string database in partitions.Databases)
            {
                // Undone, so that both runs change the same catalog rows at once.
                await partitions.Server.ExecuteAsync(database, "grant all on all tables in schema public to app; grant execute on all functions in schema public to public; alter default privileges grant execute on functions to public;", Token);
            }

            Task<(int ExitCode, string Error)>[] both = round < 2
                ? [RunToolProcessAsync(grant), RunToolProcessAsync(grant)]
                : [RunInProcessAsync(grant), RunInProcessAsync(grant)];
            (int ExitCode, string Error)[] runs = await Task.WhenAll(both).WaitAsync(TimeSpan.FromSeconds(120), Token);

            Assert.All(runs, run => Assert.True(run.ExitCode == 0, $"round {round}: {run.Error}"));
            Assert.Equal(granted, await PrivilegesAsync(partitions));
        }
    }

    private static async Task<(int ExitCode, string Error)> RunInProcessAsync(string[] args)
    {
        (int exitCode, _, string error) = await Task.Run(() => Tool.RunAsync(args), Token);
        return (exitCode, error);
    }

    // The tool in a process of its own, as two deploy pipelines would run it: its exit code and what it printed to stderr.
    private static async Task<(int ExitCode, string Error)> RunToolProcessAsync(string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in (string[])[Path.Combine(AppContext.BaseDirectory, "PlProxy.Client.Tool.dll"), .. args])
        {
            start.ArgumentList.Add(argument);
        }

        using System.Diagnostics.Process tool = System.Diagnostics.Process.Start(start)!;
        Task<string> output = tool.StandardOutput.ReadToEndAsync(Token);
        string error = await tool.StandardError.ReadToEndAsync(Token);
        await output;
        await tool.WaitForExitAsync(Token);
        return (tool.ExitCode, error);
    }

    // A cluster whose role "app" was granted its functions, and the verify command for it.
    private static async Task<(LocalPartitions Partitions, string[] Verify)> GrantedAsync(string prefix)
    {
        (LocalPartitions partitions, string proxy) = await ClusterWithRoleAsync(prefix);
        Assert.Equal(0, (await Tool.RunAsync(["grant", "--proxy", proxy, "--cluster", "users", "--role", "app"])).ExitCode);
        return (partitions, ["verify", "--proxy", proxy, "--cluster", "users", "--role", "app"]);
    }

    // The fixes verify printed, each once (a role's are printed for every database it was found on).
    private static string Fixes(string output) =>
        string.Join('\n', output.Split('\n').Where(l => l.Trim().StartsWith("fix: ", StringComparison.Ordinal)).Select(l => l.Trim()["fix: ".Length..]).Distinct());

    private static async Task<(LocalPartitions Partitions, string Proxy)> ClusterWithRoleAsync(string prefix)
    {
        LocalPartitions partitions = await LocalPartitions.StartAsync(2, PartitionSchema, prefix: prefix, cancellationToken: Token);
        LocalPostgresServer server = partitions.Server;
        await server.ExecuteAsync("postgres", "create role app login", Token);
        string proxy = await ProxyDatabases.CreateAsync(server, $"{prefix}_proxy", "users", [.. partitions.Databases.Select(d => ProxyDatabases.Libpq(server, d))], Token);
        await server.ExecuteAsync($"{prefix}_proxy", ProxyFunctions, Token);
        return (partitions, proxy);
    }

    // Every privilege app or PUBLIC holds on the partitions' relations, functions and schemas, and every default privilege.
    private static async Task<string> PrivilegesAsync(LocalPartitions partitions)
    {
        var lines = new List<string>();
        foreach (string database in partitions.Databases)
        {
            await using var source = NpgsqlDataSource.Create(partitions.Server.ConnectionString(database));
            await using NpgsqlCommand command = source.CreateCommand("""
                select format('%s %s %s', o, coalesce(a.grantee::regrole::text, 'public'), a.privilege_type) from (
                    select c.oid::regclass::text o, c.relacl acl, c.relowner owner from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public'
                    union all select p.oid::regprocedure::text, p.proacl, p.proowner from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public'
                    union all select n.nspname::text, n.nspacl, n.nspowner from pg_namespace n where n.nspname = 'public'
                    union all select format('default %s %s %s', d.defaclrole::regrole, d.defaclnamespace, d.defaclobjtype), d.defaclacl, d.defaclrole from pg_default_acl d) x,
                lateral aclexplode(coalesce(x.acl, acldefault('r', x.owner))) a
                where a.grantee <> x.owner order by 1
                """);
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(Token);
            while (await reader.ReadAsync(Token))
            {
                lines.Add($"{database}: {reader.GetString(0)}");
            }
        }

        return string.Join('\n', lines);
    }
}

using Npgsql;
using PlProxy.Client.Tool.Resharding;
using Resharding;

namespace PlProxy.Client.Scaffold.Tests;

/// <summary>
/// Passwords with spaces, quotes, backslashes, ';', '=' and non-ASCII letters, in connection strings of either form,
/// through every verb of the tool and its refusals: no part of any of them is printed. Every password holds the markers
/// S3CR3T and H1DD3N (the library's own sweep uses the same).
/// </summary>
[Collection(Resharding.ReshardFixture.Collection)]
public sealed class ToolSecretSweepTests(Resharding.ReshardFixture fixture)
{
    private static readonly string[] Passwords = ["S3CR3T H1DD3N", "S3CR3T;H1DD3N", "S3CR3T=H1DD3N", "S3CR3T'H1DD3N", "S3CR3T\\H1DD3N", "ünï S3CR3T€H1DD3N"];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    // Nothing listens on port 1: each verb fails to connect, through its own error path.
    public static TheoryData<string> ConnectionStrings()
    {
        var strings = new TheoryData<string>();
        foreach (string password in Passwords)
        {
            strings.Add($"host=127.0.0.1 port=1 password='{Quoted(password)}' dbname=x connect_timeout=1");
            strings.Add($"Host=127.0.0.1;Port=1;Password=\"{password.Replace("\"", "\"\"", StringComparison.Ordinal)}\";Database=x;Timeout=1");
            strings.Add($"host=127.0.0.1 port=1 password={password} dbname=x"); // unreadable when the password has a space
            strings.Add($"Host=127.0.0.1;Password={password};Bogus=1"); // unreadable
        }

        return strings;
    }

    [Theory]
    [MemberData(nameof(ConnectionStrings))]
    public async Task EveryVerb_WithAnUnreachableDatabase_PrintsNoPartOfThePassword(string connectionString)
    {
        string[][] invocations =
        [
            ["scaffold", "--connection", connectionString, "--output", Path.Combine(Path.GetTempPath(), "plproxy-sweep-never-written")],
            ["partconf", "install", "--proxy", connectionString, "--cluster", "users"],
            ["verify", "--proxy", connectionString, "--cluster", "users"],
            ["status", "--proxy", connectionString, "--cluster", "users"],
            ["split", "--proxy", connectionString, "--cluster", "users", "--to", connectionString, connectionString],
            ["split", "--proxy", connectionString, "--cluster", "users"],
            ["move", "--proxy", connectionString, "--cluster", "users", "--partition", "0", "--to", connectionString],
            ["pgq", "move", "--source", connectionString, "--queue", "q", "--target", connectionString, "--consumer", "c", "--once"],
            ["pgq", "register", "--source", connectionString, "--queue", "q", "--consumer", "c"],
            ["pgq", "status", "--source", connectionString, "--queue", "q", "--consumer", "c"],
            ["verify", connectionString], // a parse error that quotes the argument
        ];

        foreach (string[] args in invocations)
        {
            (int exitCode, string output, string error) = await Tool.RunAsync(args);

            Assert.NotEqual(0, exitCode);
            AssertNoSecret(args[0], output + error);
        }
    }

    [Fact]
    public async Task Split_ToADifferentMapWhileOneIsRecorded_RefusesWithoutItsPasswords()
    {
        DemoCluster cluster = await fixture.ClusterAsync(2, 2, Token);
        string[] recorded = [.. cluster.Spares.Select((spare, i) => $"{spare} password='{Quoted(Passwords[i + 3])}'")]; // trust ignores them
        await new ReshardOperation(ReshardKind.Split, cluster.Partitions, [.. cluster.Partitions, .. recorded]).RecordAsync(cluster.Proxy, "users", Token);

        (int exitCode, _, string error) = await Tool.RunAsync(["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", cluster.Spares[1], cluster.Spares[0]]);

        Assert.Equal(2, exitCode);
        Assert.Contains("to a different map is in progress", error, StringComparison.Ordinal);
        Assert.Contains("password=***", error, StringComparison.Ordinal);
        AssertNoSecret("split", error);
    }

    [Fact]
    public async Task Split_OfAClusterDefinedByFunctionsOfItsOwn_ListsTheMapWithoutPasswords()
    {
        DemoCluster cluster = await fixture.ClusterAsync(2, 2, Token);
        string[] partitions = [$"{cluster.Partitions[0]} password='{Quoted(Passwords[0])}'", $"{cluster.Partitions[1]} password='{Quoted(Passwords[5])}'"];
        await using (var proxy = NpgsqlDataSource.Create(cluster.Proxy))
        {
            await using (NpgsqlCommand create = proxy.CreateCommand("""
                create table plproxy.my_partitions (nr int4, connstr text);
                create or replace function plproxy.get_cluster_partitions(i_cluster text) returns setof text language sql as $$
                    select connstr from plproxy.my_partitions order by nr $$;
                create or replace function plproxy.get_cluster_version(i_cluster text) returns int4 language sql as $$ select 7 $$;
                """))
            {
                await create.ExecuteNonQueryAsync(Token);
            }

            await using NpgsqlCommand insert = proxy.CreateCommand("insert into plproxy.my_partitions select i - 1, c from unnest($1::text[]) with ordinality u(c, i)");
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = partitions });
            await insert.ExecuteNonQueryAsync(Token);
        }

        (int exitCode, string output, string error) = await Tool.RunAsync(["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", .. cluster.Spares]);

        Assert.Equal(2, exitCode);
        Assert.Contains("defines cluster 'users' with functions of its own", error, StringComparison.Ordinal);
        Assert.Contains("  0: host=", error, StringComparison.Ordinal);
        Assert.Contains("password=***", error, StringComparison.Ordinal);
        AssertNoSecret("split", output + error);
    }

    private static string Quoted(string password) => password.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal);

    private static void AssertNoSecret(string verb, string printed)
    {
        Assert.False(printed.Contains("S3CR3T", StringComparison.Ordinal) || printed.Contains("H1DD3N", StringComparison.Ordinal), $"plproxy {verb} printed a password: {printed}");
    }
}

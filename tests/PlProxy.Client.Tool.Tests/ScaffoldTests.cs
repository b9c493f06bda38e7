using System.Reflection;
using Microsoft.CodeAnalysis;

namespace PlProxy.Client.Scaffold.Tests;

/// <summary>The tool against a real proxy database: what it writes, that it compiles, and that the methods return what PL/Proxy returns.</summary>
public sealed class ScaffoldTests(ScaffoldFixture fixture) : IClassFixture<ScaffoldFixture>
{
    private const string UserDb = "IUserdbProxy";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public void Tool_ProxyDatabase_WritesInterfacesRowsSettingsAndReport()
    {
        Assert.Equal(0, fixture.Run.ExitCode);
        Assert.Equal(["IConnectProxy.cs", "IMedclusterProxy.cs", "IUserdbProxy.cs", "Rows.cs", "appsettings.plproxy.json", "scaffold-report.md"], fixture.Files.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("26 of 33 functions scaffolded into 3 interfaces", fixture.Run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void ScaffoldedCode_CompilesWithTheGenerator_WithoutDiagnostics()
    {
        Assert.Empty(fixture.Compiled.GeneratorDiagnostics);
        Assert.Empty(fixture.Compiled.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        Assert.NotNull(fixture.Assembly.GetType("Scaffolded.Db.IUserdbProxy"));
    }

    [Theory]
    [InlineData("dyn(text)", "RECORD without a column list")]
    [InlineData("ranged(int4range)", "range type int4range")]
    [InlineData("\"getBalance\"(text)", "needs quoting")]
    [InlineData("by_row(user_row)", "composite type user_row as an argument")]
    [InlineData("regional(text)", "pick")]
    [InlineData("by_lower(text)", "hash_lower is a SQL function the scaffold did not port: lower() depends on the proxy database's locale")]
    [InlineData("at_point(point)", "type point has no C# mapping")]
    public void UnmappableFunction_IsListedInTheReport_WithItsReason(string function, string reason)
    {
        string line = Assert.Single(fixture.Files["scaffold-report.md"].Split('\n'), l => l.StartsWith($"| `{function}`", StringComparison.Ordinal));
        Assert.Contains(reason, line, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryFunction_IsAMethodOrInTheReport()
    {
        string report = fixture.Files["scaffold-report.md"];
        string[] rows = [.. report.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| Function", StringComparison.Ordinal) && !l.StartsWith("| Interface", StringComparison.Ordinal))];
        Assert.Equal(33, rows.Length);
    }

    [Fact]
    public void MethodName_NotMappingBackToItsFunction_GetsATarget()
    {
        string source = fixture.Files["IUserdbProxy.cs"];
        Assert.Contains("run on hashtext(username); target ops.balance_ops;", source, StringComparison.Ordinal);
        Assert.DoesNotContain("target get_balance", source, StringComparison.Ordinal);
    }

    [Fact]
    public void Body_IsCopiedVerbatim_IntoARawLiteral()
    {
        Assert.Contains("""
                    [PlProxy(""\"

                            cluster 'userdb';
                            split usernames;
                            run on hashtext(usernames);

                        ""\")]
                """.Replace("\"\"\\\"", "\"\"\"", StringComparison.Ordinal), fixture.Files["IUserdbProxy.cs"], StringComparison.Ordinal);
    }

    [Fact]
    public void AppSettingsFragment_HasTheClusterAndItsSettings_WithoutPasswords()
    {
        string json = fixture.Files["appsettings.plproxy.json"];
        Assert.Contains("scaffold_part3", json, StringComparison.Ordinal);
        Assert.Contains("\"QueryTimeout\": \"00:00:30\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("Password=", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("=secret", json, StringComparison.Ordinal);
        Assert.Contains("Passwords are left out", json, StringComparison.Ordinal);
    }

    [Fact]
    public void AppSettingsFragment_HasSqlMedClusters_WithTheirOptions_WithoutTheUserMappingPasswordOrAKeysPassword()
    {
        string json = fixture.Files["appsettings.plproxy.json"];
        int med = json.IndexOf("\"medcluster\"", StringComparison.Ordinal);

        Assert.True(med > 0, json);
        Assert.Contains("Database=scaffold_part1", json[med..], StringComparison.Ordinal);
        Assert.Contains("\"ConnectionLifetime\": \"00:30:00\"", json[med..], StringComparison.Ordinal);
        Assert.DoesNotContain(json.Split('\n').Where(l => l.Contains("Host=", StringComparison.Ordinal)), l => l.Contains("secret", StringComparison.Ordinal) || l.Contains("Password", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task SqlMedClusterMethod_ReturnsWhatPlProxyReturns()
    {
        object proxy = fixture.CreateProxy("IMedclusterProxy", out Type contract);

        await AssertSameRows("select * from med_dbs()", [], contract, proxy, "MedDbsAsync");
    }

    [Fact]
    public async Task Filters_KeepOnlyTheMatchingFunctions_AndSayHowManyWereLeftOut()
    {
        string output = Directory.CreateTempSubdirectory("plproxy-tool-").FullName;
        try
        {
            var run = await ScaffoldFixture.ScaffoldAsync(["--connection", fixture.ProxyConnectionString, "--output", output,
                "--schema", "public", "--name", "get_*", "--name", "set_?mail", "--cluster", "userdb", "--group-by", "schema"]);
            string source = await File.ReadAllTextAsync(Path.Combine(output, "IPublicProxy.cs"), Token);
            string report = await File.ReadAllTextAsync(Path.Combine(output, "scaffold-report.md"), Token);

            Assert.Equal(0, run.ExitCode);
            Assert.Equal(["GetBalanceAsync", "GetBalanceAsync", "GetCodeAsync", "GetCreatedAsync", "GetMoodAsync", "GetUserAsync", "GetUsersAsync", "SetEmailAsync"],
                System.Text.RegularExpressions.Regex.Matches(source, @" (\w+Async)\(").Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal));
            Assert.Contains("(25 left out by --schema/--name/--cluster)", report, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public async Task Filters_ThatLeaveNoFunction_SaySoAndExitOneWritingNothing()
    {
        string output = Path.Combine(Path.GetTempPath(), $"plproxy-tool-none-{Guid.NewGuid():N}");

        var run = await ScaffoldFixture.ScaffoldAsync(["--connection", fixture.ProxyConnectionString, "--output", output, "--name", "no_such_function_*"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("plproxy functions matches --schema, --name and --cluster; nothing was written.", run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public async Task Output_ThatCannotBeMade_SaysSoWithExitCodeOne()
    {
        string file = Path.GetTempFileName(); // a file where the output's parent directory should be

        var run = await ScaffoldFixture.ScaffoldAsync(["--connection", fixture.ProxyConnectionString, "--output", Path.Combine(file, "generated")]);

        File.Delete(file);
        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith($"plproxy scaffold: cannot write into {Path.Combine(file, "generated")}: ", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal); // a sentence, not a stack trace
    }

    [Fact]
    public async Task Output_WhereOneFileCannotBeWritten_GetsNoneOfTheFiles()
    {
        string output = Directory.CreateTempSubdirectory("plproxy-tool-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(output, "scaffold-report.md")); // the report's name taken by a directory

            var run = await ScaffoldFixture.ScaffoldAsync(["--connection", fixture.ProxyConnectionString, "--output", output, "--force"]);

            Assert.Equal(1, run.ExitCode);
            Assert.Contains("nothing was written", run.Error, StringComparison.Ordinal);
            Assert.Equal([Path.Combine(output, "scaffold-report.md")], Directory.EnumerateFileSystemEntries(output));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public async Task ExistingFiles_AreNotOverwritten_WithoutForce()
    {
        string output = Directory.CreateTempSubdirectory("plproxy-tool-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(output, "IUserdbProxy.cs"), "mine", Token);

            var refused = await ScaffoldFixture.ScaffoldAsync(["--connection", fixture.ProxyConnectionString, "--output", output]);
            var forced = await ScaffoldFixture.ScaffoldAsync(["--connection", fixture.ProxyConnectionString, "--output", output, "--force"]);

            Assert.Equal(1, refused.ExitCode);
            Assert.Contains("--force", refused.Error, StringComparison.Ordinal);
            Assert.Equal(0, forced.ExitCode);
            Assert.Contains("interface IUserdbProxy", await File.ReadAllTextAsync(Path.Combine(output, "IUserdbProxy.cs"), Token), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public async Task ScalarMethods_ReturnWhatPlProxyReturns()
    {
        object proxy = fixture.CreateProxy(UserDb, out Type contract);
        foreach (string user in fixture.Usernames.Append("nobody"))
        {
            Assert.Equal(await Scalar("select get_balance($1)", user), await Call(contract, proxy, "GetBalanceAsync", [typeof(string)], user));
            Assert.Equal(await Scalar("select get_balance($1, 'EUR')", user), await Call(contract, proxy, "GetBalanceAsync", [typeof(string), typeof(string)], user, "EUR"));
            Assert.Equal(await Scalar("select get_mood($1)::text", user), await Call(contract, proxy, "GetMoodAsync", null, user));
            Assert.Equal(await Scalar("select get_created($1)", user), await Call(contract, proxy, "GetCreatedAsync", null, user));
            Assert.Equal(await Scalar("select get_code($1)", user), await Call(contract, proxy, "GetCodeAsync", null, user));
            Assert.Equal(await Scalar("select ops.balance_ops($1)", user), await Call(contract, proxy, "BalanceOpsAsync", null, user));
            Assert.Equal(await Scalar("select balance_of($1)", user), await Call(contract, proxy, "BalanceOfAsync", null, user));
        }

        for (long id = -40; id < 40; id += 3)
        {
            Assert.Equal(await Scalar("select name_by_id($1)", id), await Call(contract, proxy, "NameByIdAsync", null, id));
        }

        for (int part = 0; part < 8; part++)
        {
            Assert.Equal(await Scalar("select db_at($1)", part), await Call(contract, proxy, "DbAtAsync", null, part));
        }

        Assert.Equal(await Scalar("select echo_ints($1)", new[] { 3, 1, 2 }), await Call(contract, proxy, "EchoIntsAsync", null, new[] { 3, 1, 2 }));
        Assert.Equal(await Scalar("select echo_json($1::jsonb)::text", "{\"a\": 1}"), await Call(contract, proxy, "EchoJsonAsync", null, "{\"a\": 1}"));
        Guid id2 = Guid.NewGuid();
        Assert.Equal(id2, await Call(contract, proxy, "EchoUuidAsync", null, id2));
        Assert.StartsWith("scaffold_part", (string)(await Call(contract, proxy, "AnyDbAsync", null))!, StringComparison.Ordinal);

        object connect = fixture.CreateProxy("IConnectProxy", out Type connectContract);
        Assert.Equal(await Scalar("select connect_db()"), await Call(connectContract, connect, "ConnectDbAsync", null));
    }

    [Fact]
    public async Task CompositeMethods_ReturnWhatPlProxyReturns()
    {
        object proxy = fixture.CreateProxy(UserDb, out Type contract);
        foreach (string user in fixture.Usernames.Take(16).Append("nobody"))
        {
            object? ours = await Call(contract, proxy, "GetUserAsync", null, user);
            List<object?[]> theirs = await Rows("select * from get_user($1)", user);
            Assert.Equal(Values(theirs[0]) is var row && row.All(v => v is null) ? null : row, ours is null ? null : Properties(ours));
        }

        for (int x = -5; x < 5; x++)
        {
            Assert.Equal(Values((await Rows("select * from swap($1)", x))[0]), Properties((await Call(contract, proxy, "SwapAsync", null, x))!));
        }
    }

    [Fact]
    public async Task SetReturningMethods_ReturnThePlProxyRowsAsMultisets()
    {
        object proxy = fixture.CreateProxy(UserDb, out Type contract);
        string[] names = [.. fixture.Usernames.Where((_, i) => i % 3 == 0).Append("nobody")];

        await AssertSameRows("select * from get_users($1)", [names], contract, proxy, "GetUsersAsync", (object)names);
        await AssertSameRows("select * from partition_stats()", [], contract, proxy, "PartitionStatsAsync");
        await AssertSameRows("select * from user_table($1)", [30m], contract, proxy, "UserTableAsync", 30m);
        await AssertSameRows("select * from user_count()", [], contract, proxy, "UserCountAsync");
    }

    [Fact]
    public async Task VoidAndEnumWrites_ReachThePartitionPlProxyReads()
    {
        object proxy = fixture.CreateProxy(UserDb, out Type contract);

        await Call(contract, proxy, "SetEmailAsync", null, "user5", "five@example.org");
        object? mood = await Call(contract, proxy, "SetMoodAsync", null, "user6", "very_happy");

        Assert.Equal("five@example.org", await Scalar("select email from get_user('user5')"));
        Assert.Equal("very_happy", mood);
        Assert.Equal("very_happy", await Scalar("select get_mood('user6')::text"));
    }

    private async Task AssertSameRows(string sql, object[] sqlArguments, Type contract, object proxy, string method, params object[] arguments)
    {
        List<object?[]> theirs = await Rows(sql, sqlArguments);
        var ours = (System.Collections.IEnumerable)(await Call(contract, proxy, method, null, arguments))!;
        string[] expected = [.. theirs.Select(r => string.Join("|", Values(r))).Order(StringComparer.Ordinal)];
        string[] actual = [.. ours.Cast<object?>().Select(o => string.Join("|", o is null || IsScalar(o) ? [o] : Properties(o))).Order(StringComparer.Ordinal)];
        Assert.NotEmpty(expected);
        Assert.Equal(expected, actual);
    }

    private static bool IsScalar(object value) => value is string or decimal or long or int;

    private static object?[] Values(object?[] row) => [.. row.Select(v => v is DBNull ? null : v)];

    private static object?[] Properties(object record) =>
        [.. record.GetType().GetConstructors().Single().GetParameters().Select(p => record.GetType().GetProperty(p.Name!)!.GetValue(record))];

    private static async Task<object?> Call(Type contract, object proxy, string name, Type[]? parameterTypes, params object?[] arguments)
    {
        MethodInfo method = parameterTypes is null
            ? contract.GetMethods().Single(m => m.Name == name)
            : contract.GetMethod(name, [.. parameterTypes, typeof(CancellationToken)])!;
        var task = (Task)method.Invoke(proxy, [.. arguments, CancellationToken.None])!;
        await task;
        Type type = task.GetType();
        return type.IsGenericType && type.GetGenericArguments()[0].Name != "VoidTaskResult" ? type.GetProperty("Result")!.GetValue(task) : null;
    }

    private async Task<object?> Scalar(string sql, params object[] arguments) =>
        await ServerSideCalls.ScalarAsync(fixture.Proxy, sql, Token, arguments) is var value && value is DBNull ? null : value;

    private Task<List<object?[]>> Rows(string sql, params object[] arguments) => ServerSideCalls.RowsAsync(fixture.Proxy, sql, Token, arguments);
}

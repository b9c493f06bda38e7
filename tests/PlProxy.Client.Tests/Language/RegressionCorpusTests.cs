using System.Text.RegularExpressions;
using Npgsql;
using PlProxy.Client.Language;
using PlProxy.Client.Tests.Fixtures;

namespace PlProxy.Client.Tests.Language;

/// <summary>PL/Proxy's own regression bodies: the real extension decides accept or reject, and the client must agree.</summary>
public sealed partial class RegressionCorpusTests(PostgresServerFixture postgres)
{
    // The corpus's hash and cluster functions, as the application would register them.
    private static readonly FunctionCatalog Catalog = new(
    [
        new UserFunction("t_hash16", new([PgType.Int4]), PgType.Int2, false),
        new UserFunction("t_hash64", new([PgType.Int4]), PgType.Int8, false),
        new UserFunction("map_cluster", new([PgType.Int4]), PgType.Text, false),
    ]);

    [Fact]
    public void Corpus_HoldsAtLeastFortyBodies() =>
        Assert.InRange(RegressionCorpus.Load().Count, 40, int.MaxValue);

    [Fact]
    public async Task ParserAndBinder_DecideLikePlProxy_ForEveryRegressionBody()
    {
        IReadOnlyList<RegressionCase> cases = RegressionCorpus.Load();
        PlProxyOracle oracle = await postgres.PlProxyAsync();
        var disagreements = new List<string>();
        int accepted = 0, rejected = 0;
        foreach (RegressionCase @case in cases)
        {
            string? plProxyError = await CreateInPlProxy(oracle, @case.Definition.Sql);

            (accepted, rejected) = plProxyError is null ? (accepted + 1, rejected) : (accepted, rejected + 1);

            BindResult ours = Binder.Bind(Parser.Parse(@case.Definition.Body), @case.Definition.Signature, Catalog);
            string? ourError = ours.Succeeded ? null : $"{ours.Diagnostics[0].Id} {ours.Diagnostics[0].Message}";

            string? expected = @case.ClientDecision is { } decision && decision.StartsWith("reject ", StringComparison.Ordinal)
                ? decision["reject ".Length..].Split(' ')[0]
                : plProxyError;
            bool agree = (expected, ourError) switch
            {
                (null, null) => true,
                (not null, not null) when @case.ClientDecision is not null => ourError.StartsWith(expected, StringComparison.Ordinal),
                (not null, not null) => ourError[(ourError.IndexOf(' ') + 1)..].StartsWith(expected, StringComparison.Ordinal),
                _ => false,
            };

            if (!agree)
            {
                disagreements.Add($"{@case.Name}: PL/Proxy {plProxyError ?? "accepts"}; client {ourError ?? "accepts"}");
            }
        }

        Assert.True(disagreements.Count == 0, $"{disagreements.Count} of {cases.Count} bodies decided differently:\n{string.Join('\n', disagreements)}");
        Assert.True(accepted > 0 && rejected > 0, $"The corpus should hold both outcomes (accepted {accepted}, rejected {rejected}).");
    }

    [Fact]
    public async Task Corpus_ClientDivergences_AreAcceptedByPlProxyAtCreateTime()
    {
        // A divergence is only ever the client rejecting early what PL/Proxy would reject on every call.
        PlProxyOracle oracle = await postgres.PlProxyAsync();
        RegressionCase[] divergent = [.. RegressionCorpus.Load().Where(c => c.ClientDecision is not null)];
        Assert.NotEmpty(divergent);
        foreach (RegressionCase @case in divergent)
        {
            Assert.Null(await CreateInPlProxy(oracle, @case.Definition.Sql));
        }
    }

    [Theory]
    [InlineData("cluster 'mask8'; run on b;", "PLPX2010")] // PL/Proxy: Hash result must be int2, int4 or int8
    [InlineData("cluster 'mask8'; run on hashtext(d);", "PLPX2012")] // function hashtext(text[]) does not exist
    [InlineData("cluster 'mask8'; run on hashtext(b, a);", "PLPX2012")] // function hashtext(text, integer) does not exist
    [InlineData("cluster 'mask8'; run on hashtext(\"b\");", "PLPX2009")] // column "b" does not exist
    [InlineData("connect a;", "PLPX2014")] // expected text
    public async Task BodiesPlProxyAcceptsButFailsOnEveryCall_AreRefusedAtCompileTime(string body, string diagnostic)
    {
        PlProxyOracle oracle = await postgres.PlProxyAsync();
        string sql = $"create function fails_always(a int4, b text, d text[]) returns setof text as $$ {body} select current_database(); $$ language plproxy;";

        Assert.Null(await CreateInPlProxy(oracle, sql));
        await Assert.ThrowsAsync<PostgresException>(() => CallInPlProxy(oracle, sql, "select * from fails_always(5, 'x', array['y'])"));
        Assert.Equal(diagnostic, Bind(sql).Diagnostics[0].Id);
    }

    [Fact]
    public async Task PartitionNumberBeyondAnInt_WhichPlProxyCutsTo32Bits_IsRefusedAtCompileTime()
    {
        // PL/Proxy reads the number with atoi: 4294967297 becomes 1, and the call runs on partition 1.
        PlProxyOracle oracle = await postgres.PlProxyAsync();
        string sql = "create function cut_number() returns setof text as $$ cluster 'mask8'; run on 4294967297; select current_database(); $$ language plproxy;";

        Assert.Equal(PlProxyOracle.PartitionDatabase(1), await CallInPlProxy(oracle, sql, "select * from cut_number()"));
        BindResult ours = Bind(sql);
        Assert.Equal("PLPX1001", ours.Diagnostics[0].Id);
        Assert.Contains("4294967297 is too large", ours.Diagnostics[0].Message, StringComparison.Ordinal);
    }

    private static BindResult Bind(string sql)
    {
        SqlFunctionDefinition definition = SqlFunctionDefinition.Parse(sql);
        return Binder.Bind(Parser.Parse(definition.Body), definition.Signature, Catalog);
    }

    // Creates the function in a transaction that is rolled back, and calls it there: its first row's first value.
    private static async Task<object?> CallInPlProxy(PlProxyOracle oracle, string sql, string call)
    {
        await using NpgsqlConnection connection = await oracle.Proxy.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await Execute(connection, sql);
        await using var command = new NpgsqlCommand(call, connection);
        return await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
    }

    // PL/Proxy's validator parses the body at CREATE FUNCTION; null when it accepts, else its message without the prefix.
    // Each case runs in a transaction of its own that is rolled back. Npgsql drops a connection after an XX000
    // error, which is what PL/Proxy raises, so each case also gets a connection of its own.
    private static async Task<string?> CreateInPlProxy(PlProxyOracle oracle, string sql)
    {
        await using NpgsqlConnection connection = await oracle.Proxy.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await Execute(connection, RegressionCorpus.Setup);
        try
        {
            await Execute(connection, sql);
            return null;
        }
        catch (PostgresException e)
        {
            Match compile = CompileError().Match(e.MessageText);
            return compile.Success ? compile.Groups["message"].Value : e.MessageText[(e.MessageText.LastIndexOf("): ", StringComparison.Ordinal) + 3)..];
        }
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    [GeneratedRegex(@"Compile error at line \d+: (?<message>.*)$")]
    private static partial Regex CompileError();
}

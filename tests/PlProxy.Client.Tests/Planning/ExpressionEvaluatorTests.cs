using NpgsqlTypes;
using PlProxy.Client.Language;
using PlProxy.Client.Planning;
using PlProxy.Client.Tests.Fixtures;
using PlProxy.Client.Tests.Hashing;

namespace PlProxy.Client.Tests.Planning;

/// <summary>The text functions the client evaluates inside hashes, compared with a live PostgreSQL (database collation C).</summary>
public sealed class ExpressionEvaluatorTests(PostgresServerFixture postgres)
{
    private static readonly FunctionSignature KeySignature =
        new("f", new EquatableArray<ParameterSignature>([new ParameterSignature("key", PgType.Text), new ParameterSignature("n", PgType.Int4)]), false);

    private static readonly ClusterLayout AsciiCluster = new("c", ["p0"]);
    private static readonly ClusterLayout CLocaleCluster = new("c", ["p0"], caseMapping: CaseMapping.CLocale);

    // The expression under test, bound as the argument of hashtext so that the text itself can be read back.
    private static BoundExpression Expression(string sql)
    {
        BindResult result = Binder.Bind(Parser.Parse($"cluster 'c'; run on hashtext({sql});"), KeySignature);
        Assert.True(result.Succeeded, string.Join("; ", result.Diagnostics));
        return ((CallExpression)result.Function!.Hash!).Arguments[0];
    }

    private static string? Evaluate(string sql, string key, int n, ClusterLayout cluster) =>
        ExpressionEvaluator.Evaluate(Expression(sql), new ObjectArrayArguments([key, n]), -1, cluster, null).Text;

    [Theory]
    [InlineData("lower(key)")]
    [InlineData("upper(key)")]
    [InlineData("key || '#' || n")]
    [InlineData("n || key")]
    [InlineData("lower(key) || n::text || upper($1)")]
    [InlineData("(n::int8)::text || key")]
    public async Task TextExpression_MatchesPostgres_ForAsciiStrings(string sql)
    {
        string[] keys = GeneratedInputs.AsciiOfEveryLength(50, 6, seed: 41);

        string[] expected = await EvaluateInPostgresAsync(sql, keys);

        Assert.Equal(expected, keys.Select((key, i) => Evaluate(sql, key, i, AsciiCluster)));
    }

    [Theory]
    [InlineData("lower(key)")]
    [InlineData("upper(key)")]
    public async Task CaseMapping_MatchesPostgresUnderCollationC_ForMultibyteStrings(string sql)
    {
        string[] keys = GeneratedInputs.Multibyte(500, 30, seed: 42);

        string[] expected = await EvaluateInPostgresAsync(sql, keys);

        Assert.Equal(expected, keys.Select((key, i) => Evaluate(sql, key, i, CLocaleCluster)));
    }

    [Fact]
    public async Task Ascii_MatchesPostgres_ForMultibyteStrings()
    {
        string[] keys = [.. GeneratedInputs.Multibyte(500, 5, seed: 43), ""];
        var oracle = new PostgresHashOracle(await postgres.DatabaseAsync("hashing"));
        BoundExpression ascii = Binder.Bind(Parser.Parse("cluster 'c'; run on ascii(key);"), KeySignature).Function!.Hash!;

        int[] expected = await oracle.EvaluateAsync<string, int>("ascii", keys, NpgsqlDbType.Text);

        Assert.Equal(expected.Select(v => (long)v), keys.Select(k => ExpressionEvaluator.Evaluate(ascii, new ObjectArrayArguments([k, 0]), -1, AsciiCluster, null).Integer));
    }

    [Fact]
    public void CaseMapping_OfNonAsciiText_FailsUnlessTheClusterAllowsIt()
    {
        var error = Assert.Throws<PlProxyException>(() => Evaluate("lower(key)", "Ünïcode", 0, AsciiCluster));

        Assert.Contains("U+00DC at index 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("Cluster 'c'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TextHashes_InAClusterOfALatin1ProxyDatabase_MatchThatDatabase_ForAsciiText()
    {
        var latin1 = new ClusterLayout("c", ["p0"], otherTextEncoding: "LATIN1");
        string[] keys = GeneratedInputs.AsciiOfEveryLength(40, 5, seed: 47);
        var oracle = new PostgresHashOracle(await postgres.DatabaseAsync("hashing_latin1", encoding: "LATIN1"));

        int[] hashtext = await oracle.EvaluateAsync<string, int>("hashtext", keys, NpgsqlDbType.Text);
        long[] extended = await oracle.EvaluateAsync<string, long>("hashtextextended", keys, NpgsqlDbType.Text, extraArguments: ", 7");
        int[] ascii = await oracle.EvaluateAsync<string, int>("ascii", keys, NpgsqlDbType.Text);

        Assert.Equal(hashtext.Select(v => (long)v), keys.Select(k => EvaluateHash("hashtext(key)", k, latin1)));
        Assert.Equal(extended, keys.Select(k => EvaluateHash("hashtextextended(key, 7)", k, latin1)));
        Assert.Equal(ascii.Select(v => (long)v), keys.Select(k => EvaluateHash("ascii(key)", k, latin1)));
    }

    [Theory]
    [InlineData("hashtext(key)", "hashtext()")]
    [InlineData("hashtextextended(key, 7)", "hashtextextended()")]
    [InlineData("hashtext(lower(key) || 'x')", "hashtext()")]
    [InlineData("ascii(key)", "ascii()")]
    public async Task TextHashes_InAClusterOfALatin1ProxyDatabase_RefuseNonAsciiText_WhichThatDatabaseHashesOtherwise(string sql, string function)
    {
        var latin1 = new ClusterLayout("c", ["p0"], caseMapping: CaseMapping.CLocale, otherTextEncoding: "LATIN1");
        const string Key = "josé";
        var oracle = new PostgresHashOracle(await postgres.DatabaseAsync("hashing_latin1", encoding: "LATIN1"));
        Assert.NotEqual( // what the refusal saves: the proxy database's hash is not the client's
            Client.Hashing.PgHash.HashText(Key),
            (await oracle.EvaluateAsync<string, int>("hashtext", [Key], NpgsqlDbType.Text))[0]);

        var error = Assert.Throws<PlProxyException>(() => EvaluateHash(sql, Key, latin1));

        Assert.Equal(Npgsql.PostgresErrorCodes.FeatureNotSupported, error.SqlState);
        Assert.StartsWith($"{function} of text with the non-ASCII character U+00E9 at index 3: cluster 'c' was routed by a proxy database whose encoding is LATIN1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TextHashes_InAClusterOfAUtf8OrSqlAsciiProxyDatabase_HashNonAsciiTextAsUtf8()
    {
        Assert.Null(Client.Hashing.ServerEncodings.OtherThanUtf8("UTF8"));
        Assert.Null(Client.Hashing.ServerEncodings.OtherThanUtf8("sql_ascii"));
        Assert.Equal("LATIN1", Client.Hashing.ServerEncodings.OtherThanUtf8("latin1"));
        Assert.Equal(Client.Hashing.PgHash.HashText("josé"), EvaluateHash("hashtext(key)", "josé", AsciiCluster));
    }

    private static long EvaluateHash(string sql, string key, ClusterLayout cluster) =>
        ExpressionEvaluator.Evaluate(Binder.Bind(Parser.Parse($"cluster 'c'; run on {sql};"), KeySignature).Function!.Hash!, new ObjectArrayArguments([key, 0]), -1, cluster, null).Integer;

    [Fact]
    public void HashText_OnLegacyCluster_UsesPostgres83Hash()
    {
        var legacy = new ClusterLayout("old", ["p0"], hashFlavor: HashFlavor.Legacy83);
        BoundExpression hash = Binder.Bind(Parser.Parse("cluster 'old'; run on hashtext(key);"), KeySignature).Function!.Hash!;

        SqlValue value = ExpressionEvaluator.Evaluate(hash, new ObjectArrayArguments(["pgcon2", 0]), -1, legacy, null);

        Assert.Equal(Client.Hashing.PgHash.LegacyHashText("pgcon2"), value.Integer);
    }

    [Fact]
    public void NarrowingCast_OutOfRange_FailsLikePostgres()
    {
        var signature = new FunctionSignature("f", new EquatableArray<ParameterSignature>([new ParameterSignature("id", PgType.Int8)]), false);
        BoundExpression hash = Binder.Bind(Parser.Parse("cluster 'c'; run on hashint4(id::int4);"), signature).Function!.Hash!;

        var error = Assert.Throws<PlProxyException>(() => ExpressionEvaluator.Evaluate(hash, new ObjectArrayArguments([1L << 40]), -1, AsciiCluster, null));

        Assert.Equal(("integer out of range", "22003"), (error.Message, error.SqlState));
    }

    [Theory]
    [InlineData("int4", "hashint4", -2147483649L)]
    [InlineData("int4", "hashint4", -2147483648L)]
    [InlineData("int4", "hashint4", 2147483647L)]
    [InlineData("int4", "hashint4", 2147483648L)]
    [InlineData("int2", "hashint2", -32769L)]
    [InlineData("int2", "hashint2", -32768L)]
    [InlineData("int2", "hashint2", 32767L)]
    [InlineData("int2", "hashint2", 32768L)]
    public async Task NarrowingCast_AtTheBoundaries_AgreesWithPostgres(string type, string hash, long value)
    {
        var signature = new FunctionSignature("f", new EquatableArray<ParameterSignature>([new ParameterSignature("id", PgType.Int8)]), false);
        BoundExpression expression = Binder.Bind(Parser.Parse($"cluster 'c'; run on {hash}(id::{type});"), signature).Function!.Hash!;
        await using Npgsql.NpgsqlCommand command = (await postgres.DatabaseAsync("hashing")).CreateCommand($"select {hash}($1::int8::{type})");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = value });
        string expected;
        try
        {
            expected = Convert.ToString(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken), System.Globalization.CultureInfo.InvariantCulture)!;
        }
        catch (Npgsql.PostgresException e)
        {
            expected = e.SqlState;
        }

        string actual;
        try
        {
            actual = ExpressionEvaluator.Evaluate(expression, new ObjectArrayArguments([value]), -1, AsciiCluster, null).Integer.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (PlProxyException e)
        {
            actual = e.SqlState!;
        }

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Ascii_OfLoneSurrogate_IsRefused()
    {
        BoundExpression ascii = Binder.Bind(Parser.Parse("cluster 'c'; run on ascii(key);"), KeySignature).Function!.Hash!;

        // A high surrogate with nothing after it, and a low one first: neither is a character PostgreSQL could hold.
        Assert.All(["\uD83D", "\uDE00x"], key =>
            Assert.Throws<ArgumentException>(() => ExpressionEvaluator.Evaluate(ascii, new ObjectArrayArguments([key, 0]), -1, AsciiCluster, null)));
    }

    [Theory]
    [InlineData("lower(key)", "lower()")]
    [InlineData("upper(key)", "upper()")]
    public void CaseMapping_OfNonAsciiText_NamesTheFunction(string sql, string function) =>
        Assert.StartsWith($"{function} of text with the non-ASCII character", Assert.Throws<PlProxyException>(() => Evaluate(sql, "aé", 0, AsciiCluster)).Message, StringComparison.Ordinal);

    [Fact]
    public void BuiltinOfNull_IsNull() =>
        Assert.Null(Evaluate("lower(key)", null!, 0, AsciiCluster));

    private async Task<string[]> EvaluateInPostgresAsync(string sql, string[] keys)
    {
        await using Npgsql.NpgsqlCommand command = (await postgres.DatabaseAsync("hashing")).CreateCommand(
            $"select coalesce(array_agg((select {sql.Replace("$1", "key", StringComparison.Ordinal)} from (select v as key, (i - 1)::int4 as n) a) order by i), '{{}}') from unnest(@keys) with ordinality t(v, i)");
        command.Parameters.Add(new Npgsql.NpgsqlParameter("keys", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = keys });
        return (string[])(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}

using NpgsqlTypes;
using PlProxy.Client.Hashing;
using PlProxy.Client.Tests.Fixtures;

namespace PlProxy.Client.Tests.Hashing;

/// <summary>Every managed hash compared bit for bit with what a live PostgreSQL 15 computes for the same values.</summary>
public sealed class PgHashTests(PostgresServerFixture postgres)
{
    private async Task<PostgresHashOracle> OracleAsync() => new(await postgres.DatabaseAsync("hashing"));

    [Fact]
    public async Task HashText_MatchesPostgres_ForAsciiStringsOfEveryLengthUpTo300()
    {
        string[] values = GeneratedInputs.AsciiOfEveryLength(maxLength: 300, perLength: 5, seed: 1);

        int[] expected = await (await OracleAsync()).EvaluateAsync<string, int>("hashtext", values, NpgsqlDbType.Text);

        AssertAllEqual(values, expected, PgHash.HashText);
    }

    [Fact]
    public async Task HashText_MatchesPostgres_ForMultibyteStrings()
    {
        string[] values = GeneratedInputs.Multibyte(count: 1500, maxLength: 600, seed: 2);

        int[] expected = await (await OracleAsync()).EvaluateAsync<string, int>("hashtext", values, NpgsqlDbType.Text);

        AssertAllEqual(values, expected, PgHash.HashText);
    }

    [Fact]
    public async Task HashText_MatchesPostgres_ForTenThousandCharacterStrings()
    {
        string[] values = GeneratedInputs.Long(count: 20, length: 10_000, seed: 3);

        int[] expected = await (await OracleAsync()).EvaluateAsync<string, int>("hashtext", values, NpgsqlDbType.Text);

        AssertAllEqual(values, expected, PgHash.HashText);
    }

    [Fact]
    public async Task HashBytes_MatchesPostgres_ForArbitraryNonUtf8Bytes()
    {
        // A SQL_ASCII database hashes text as its raw bytes without validating them, so any byte but NUL can be
        // checked there: convert_from(bytea, 'SQL_ASCII') passes the bytes through unchanged.
        var random = new Random(4);
        byte[][] values = [.. Enumerable.Range(0, 400).Select(i =>
        {
            var bytes = new byte[i % 200];
            random.NextBytes(bytes);
            bytes.AsSpan().Replace((byte)0, (byte)0xff);
            return bytes;
        })];
        var oracle = new PostgresHashOracle(await postgres.DatabaseAsync("hashing_sql_ascii", encoding: "SQL_ASCII"));

        int[] expected = await oracle.EvaluateAsync<byte[], int>("hashtext", values, NpgsqlDbType.Bytea, valueExpression: "convert_from(v, 'SQL_ASCII')");

        AssertAllEqual(values, expected, v => PgHash.HashBytes(v));
    }

    [Fact]
    public async Task HashInt2_MatchesPostgres_ForExtremesAndRandomValues()
    {
        short[] values = GeneratedInputs.Int16s(count: 500, seed: 5);

        int[] expected = await (await OracleAsync()).EvaluateAsync<short, int>("hashint2", values, NpgsqlDbType.Smallint);

        AssertAllEqual(values, expected, PgHash.HashInt2);
    }

    [Fact]
    public async Task HashInt4_MatchesPostgres_ForExtremesAndRandomValues()
    {
        int[] values = GeneratedInputs.Int32s(count: 1000, seed: 6);

        int[] expected = await (await OracleAsync()).EvaluateAsync<int, int>("hashint4", values, NpgsqlDbType.Integer);

        AssertAllEqual(values, expected, PgHash.HashInt4);
    }

    [Fact]
    public async Task HashInt8_MatchesPostgres_ForExtremesAndRandomValues()
    {
        long[] values = GeneratedInputs.Int64s(count: 1000, seed: 7);

        int[] expected = await (await OracleAsync()).EvaluateAsync<long, int>("hashint8", values, NpgsqlDbType.Bigint);

        AssertAllEqual(values, expected, PgHash.HashInt8);
    }

    [Fact]
    public async Task HashUuid_MatchesPostgres_ForRandomUuids()
    {
        Guid[] values = GeneratedInputs.Guids(count: 1000, seed: 8);

        int[] expected = await (await OracleAsync()).EvaluateAsync<Guid, int>("uuid_hash", values, NpgsqlDbType.Uuid);

        AssertAllEqual(values, expected, PgHash.HashUuid);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(-1L)]
    [InlineData(4294967296L)]
    [InlineData(long.MinValue)]
    [InlineData(1234567890123L)]
    public async Task HashTextExtended_MatchesPostgres_ForEachSeed(long seed)
    {
        string[] values = [.. GeneratedInputs.AsciiOfEveryLength(maxLength: 40, perLength: 2, seed: 9), .. GeneratedInputs.Multibyte(150, 100, seed: 10)];

        long[] expected = await (await OracleAsync()).EvaluateAsync<string, long>("hashtextextended", values, NpgsqlDbType.Text, $", '{seed}'::int8");

        AssertAllEqual(values, expected, v => PgHash.HashTextExtended(v, seed));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(42L)]
    [InlineData(-1L)]
    [InlineData(long.MaxValue)]
    public async Task HashInt8Extended_MatchesPostgres_ForEachSeed(long seed)
    {
        long[] values = GeneratedInputs.Int64s(count: 250, seed: 11);

        long[] expected = await (await OracleAsync()).EvaluateAsync<long, long>("hashint8extended", values, NpgsqlDbType.Bigint, $", '{seed}'::int8");

        AssertAllEqual(values, expected, v => PgHash.HashInt8Extended(v, seed));
    }

    [Theory]
    [InlineData("pgcon1", -1892750095)]
    [InlineData("", -1477818771)]
    public void HashText_ReturnsPostgres15CheckValue(string value, int expected) =>
        Assert.Equal(expected, PgHash.HashText(value));

    [Fact]
    public void HashInt4_OfZero_ReturnsPostgres15CheckValue() =>
        Assert.Equal(-272711505, PgHash.HashInt4(0));

    [Fact]
    public async Task HashInt8_OfTwoToThe32_MatchesPostgres()
    {
        int expected = await (await OracleAsync()).ScalarAsync<int>("select hashint8(4294967296)");

        Assert.Equal(expected, PgHash.HashInt8(4294967296));
    }

    [Fact]
    public void HashInt8_OfValuesThatFitInt4_EqualsHashInt4()
    {
        // PostgreSQL folds int8 so that equal int4 and int8 values hash alike (cross-type hash joins rely on it).
        foreach (int value in GeneratedInputs.Int32s(200, seed: 12))
        {
            Assert.Equal(PgHash.HashInt4(value), PgHash.HashInt8(value));
        }
    }

    [Fact]
    public void HashText_EqualsHashBytesOfUtf8() =>
        Assert.Equal(PgHash.HashBytes("grüße 🐘"u8), PgHash.HashText("grüße 🐘"));

    [Fact]
    public void HashTextExtended_WithSeedZero_HasHashTextInLowWord()
    {
        foreach (string value in GeneratedInputs.Multibyte(100, 50, seed: 13))
        {
            Assert.Equal(PgHash.HashText(value), (int)PgHash.HashTextExtended(value, 0));
        }
    }

    [Fact]
    public void HashText_WithLoneHighSurrogate_ThrowsNamingThePosition()
    {
        var error = Assert.Throws<ArgumentException>(() => PgHash.HashText("ab\uD83Dc"));

        Assert.Contains("index 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("U+D83D", error.Message, StringComparison.Ordinal);
        Assert.Equal("value", error.ParamName);
    }

    [Fact]
    public void HashText_WithLoneLowSurrogateInLongString_ThrowsNamingThePosition()
    {
        string value = new string('x', 5000) + "\uDC00";

        var error = Assert.Throws<ArgumentException>(() => PgHash.HashText(value));

        Assert.Contains("index 5000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HashText_WithNulCharacter_ThrowsNamingThePosition()
    {
        var error = Assert.Throws<ArgumentException>(() => PgHash.HashTextExtended("abc\0", 0));

        Assert.Contains("index 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HashText_WithNull_ThrowsArgumentNull() =>
        Assert.Throws<ArgumentNullException>(() => PgHash.HashText(null!));

    private static void AssertAllEqual<TValue, TResult>(TValue[] values, TResult[] expected, Func<TValue, TResult> hash)
    {
        Assert.Equal(values.Length, expected.Length);
        var mismatches = new List<string>();
        for (int i = 0; i < values.Length; i++)
        {
            TResult actual = hash(values[i]);
            if (!EqualityComparer<TResult>.Default.Equals(actual, expected[i]))
            {
                mismatches.Add($"#{i} {Describe(values[i])}: PostgreSQL {expected[i]}, managed {actual}");
            }
        }

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {values.Length} hashes differ from PostgreSQL:\n{string.Join('\n', mismatches.Take(10))}");
    }

    private static string Describe<T>(T value) => value switch
    {
        string s => $"string of length {s.Length} '{(s.Length > 30 ? s[..30] + "…" : s)}'",
        byte[] b => $"{b.Length} bytes",
        _ => value?.ToString() ?? "null",
    };
}

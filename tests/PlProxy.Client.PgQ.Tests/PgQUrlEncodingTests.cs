using System.Diagnostics;
using System.Text.Json;
using Npgsql;

namespace PlProxy.Client.PgQ.Tests;

/// <summary>
/// Urlencoded rows equal those of the references: python-skytools' <c>db_urlencode</c>/<c>db_urldecode</c> (the SkyTools
/// tools' own code) and <c>pgq.logutriga</c>'s output on a real table.
/// </summary>
[Collection(PgQFixture.Collection)]
public sealed class PgQUrlEncodingTests(PgQFixture fixture)
{
    private static readonly string[] Samples =
    [
        "", " ", "plain", "with space", "a+b", "a&b=c", "100%", "~tilde", "under_score.dot-dash", "*star'quote\"",
        "é", "日本語", "emoji 😀", "tab\there", "new\nline", "slash/back\\slash", "?#[]@!$(),;:", "\u0001control",
    ];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Encode_OfRows_EqualsSkyToolsDbUrlencode()
    {
        List<List<KeyValuePair<string, string?>>> rows = Rows();

        string[] expected = JsonSerializer.Deserialize<string[]>(await SkyToolsAsync(
            "print(json.dumps([skytools.db_urlencode(dict(r)) for r in json.loads(sys.stdin.read())]))",
            JsonSerializer.Serialize(rows.Select(r => r.Select(c => new[] { c.Key, c.Value })))))!;

        Assert.Equal(expected, rows.Select(PgQUrlEncoding.Encode));
    }

    [Fact]
    public async Task Decode_OfEncodedAndOddText_EqualsSkyToolsDbUrldecode()
    {
        string[] texts = [.. Rows().Select(PgQUrlEncoding.Encode),
            "a&&b", "&a=1&", "a=1&a=2&b", "k=%7E%7e", "k=%e6%97%a5", "%41=x", "a=b=c", "=x", "+=+", "k=é", "",
            "k=%zz", "k=%4", "k=100%", "k=%4&", "k=%ff", "k=%c3"]; // the last six SkyTools refuses

        // Per text its pairs, or null where SkyTools raises (ValueError, UnicodeDecodeError).
        string[][]?[] expected = JsonSerializer.Deserialize<string[][]?[]>(await SkyToolsAsync("""
            def decode(t):
                try:
                    return list(skytools.db_urldecode(t).items())
                except ValueError:
                    return None
            print(json.dumps([decode(t) for t in json.loads(sys.stdin.read())]))
            """, JsonSerializer.Serialize(texts)))!;

        for (int i = 0; i < texts.Length; i++)
        {
            if (expected[i] is { } pairs)
            {
                Assert.Equal(pairs.Select(p => (p[0], (string?)p[1])), PgQUrlEncoding.Decode(texts[i]).Select(p => (p.Key, p.Value)));
            }
            else
            {
                Assert.Throws<FormatException>(() => PgQUrlEncoding.Decode(texts[i]));
            }
        }

        Assert.Equal(6, expected.Count(e => e is null));
    }

    [Fact]
    public async Task Encode_OfATableRow_EqualsPgQLogutriga()
    {
        await using NpgsqlDataSource database = await fixture.QueueDatabaseAsync("rows", Token);
        var consumer = new PgQConsumer(database, "rows", "reader");
        await consumer.RegisterAsync(Token);
        await using (NpgsqlCommand create = database.CreateCommand("""
            create table accounts (id int4 primary key, name text, note text, "odd column" text);
            create trigger accounts_log after insert on accounts for each row execute function pgq.logutriga('rows');
            """))
        {
            await create.ExecuteNonQueryAsync(Token);
        }

        var expected = new List<string?>();
        for (int i = 0; i < Samples.Length; i++)
        {
            string? note = i % 3 == 0 ? null : Samples[(i + 5) % Samples.Length];
            await using NpgsqlCommand insert = database.CreateCommand("insert into accounts values ($1, $2, $3, $4)");
            insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = i });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Samples[i] });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)note ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "x" });
            await insert.ExecuteNonQueryAsync(Token);
            expected.Add(PgQUrlEncoding.Encode([new("id", i.ToString(System.Globalization.CultureInfo.InvariantCulture)), new("name", Samples[i]), new("note", note), new("odd column", "x")]));
        }

        await PgQFixture.TickAsync(database, "rows", Token);
        var data = new List<string?>();
        await consumer.ProcessBatchAsync((_, e, _) => { data.Add(e.Data); return Task.CompletedTask; }, Token);

        Assert.Equal(expected, data);
    }

    // Rows of distinct keys: every sample as a value, a key, and NULL.
    private static List<List<KeyValuePair<string, string?>>> Rows() =>
    [
        .. Samples.Select((value, i) => new List<KeyValuePair<string, string?>> { new("id", i.ToString(System.Globalization.CultureInfo.InvariantCulture)), new("value", value), new("nothing", null) }),
        [.. Samples.Where(s => s.Length > 0).Select(s => new KeyValuePair<string, string?>(s, s))],
        [],
    ];

    // Runs a script over python3-skytools (the reference implementation) with the input on stdin; its output.
    private static async Task<string> SkyToolsAsync(string body, string input)
    {
        var start = new ProcessStartInfo("/usr/bin/python3", ["-c", "import sys, json, skytools\n" + body])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PYTHONIOENCODING"] = "utf-8";
        using Process python = Process.Start(start)!;
        await python.StandardInput.WriteAsync(input);
        python.StandardInput.Close();
        string output = await python.StandardOutput.ReadToEndAsync(Token);
        string errors = await python.StandardError.ReadToEndAsync(Token);
        await python.WaitForExitAsync(Token);
        Assert.True(python.ExitCode == 0, $"python3-skytools failed: {errors}");
        return output;
    }
}

using System.Diagnostics;
using System.Text;
using PlProxy.Client.Hashing;

namespace PlProxy.Client.Tests.Hashing;

/// <summary>
/// PostgreSQL 8.3's hashtext (Jenkins' lookup2). No 8.3 server runs here, so the port is checked against a
/// table computed on 8.3, a published lookup2 value, and SkyTools' <c>hashtext_old</c> (the C extension of
/// python3-skytools, which the seed's own tools used to route 8.3 clusters).
/// </summary>
public sealed class LegacyHashTextTests
{
    [Fact]
    public void LegacyHashText_ModuloThree_ReproducesThePostgres83Table()
    {
        // hashtext('pgconN') % 3 on PostgreSQL 8.3, with C's remainder (negatives stay negative).
        int[] expected = [0, -1, -2, 0, 0, 2, -1, 0, 0, 0];

        int[] actual = [.. Enumerable.Range(1, 10).Select(n => PgHash.LegacyHashText($"pgcon{n}") % 3)];

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Lookup2_ReproducesAnIndependentImplementation()
    {
        // The npm package hash-jenkins documents lookup2("hello world") = 447289830 (initial value 0): an
        // implementation written apart from PostgreSQL's.
        uint actual = Lookup2.Hash("hello world"u8, initialValue: 0);

        Assert.Equal(447289830u, actual);
    }

    [Fact]
    public void LegacyHashText_IsLookup2WithPostgresInitialValueOverUtf8()
    {
        const string value = "Müller-Lüdenscheidt 🐘 0123456789";

        Assert.Equal((int)Lookup2.Hash(Encoding.UTF8.GetBytes(value), 3923095), PgHash.LegacyHashText(value));
    }

    [Fact]
    public async Task LegacyHashText_MatchesSkyToolsHashtextOld_ForEveryLengthAndMultibyteText()
    {
        // Every length from 0 to 80 bytes crosses lookup2's 12-byte blocks and each tail length many times.
        string[] values = [.. GeneratedInputs.AsciiOfEveryLength(80, 3, seed: 83), .. GeneratedInputs.Multibyte(200, 40, seed: 84)];

        int[] expected = await SkyToolsHashtextOldAsync(values);

        Assert.Equal(expected, values.Select(PgHash.LegacyHashText));
    }

    // One value per line, as UTF-8 hex, through python3-skytools' hashtext_old.
    private static async Task<int[]> SkyToolsHashtextOldAsync(string[] values)
    {
        const string Script = "import sys\nfrom skytools.hashtext import hashtext_old\nfor line in sys.stdin:\n    print(hashtext_old(bytes.fromhex(line.strip())))\n";
        var start = new ProcessStartInfo("/usr/bin/python3", ["-c", Script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process python = Process.Start(start)!;
        foreach (string value in values)
        {
            await python.StandardInput.WriteLineAsync(Convert.ToHexString(Encoding.UTF8.GetBytes(value)));
        }

        python.StandardInput.Close();
        string output = await python.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        string errors = await python.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await python.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(python.ExitCode == 0, $"python3-skytools failed: {errors}");
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => int.Parse(line, System.Globalization.CultureInfo.InvariantCulture))];
    }

    [Fact]
    public void LegacyHashText_DiffersFromModernHashText()
    {
        // Clusters partitioned on 8.3 route differently: the two flavours must not be confused.
        int differing = Enumerable.Range(0, 100).Count(n => PgHash.LegacyHashText($"user{n}") != PgHash.HashText($"user{n}"));

        Assert.Equal(100, differing);
    }

    [Fact]
    public void LegacyHashText_WithLoneSurrogate_Throws() =>
        Assert.Throws<ArgumentException>(() => PgHash.LegacyHashText("\uDFFF"));
}

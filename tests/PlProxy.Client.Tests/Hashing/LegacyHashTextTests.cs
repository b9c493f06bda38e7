using System.Text;
using PlProxy.Client.Hashing;

namespace PlProxy.Client.Tests.Hashing;

/// <summary>
/// PostgreSQL 8.3's hashtext (Jenkins' lookup2). No 8.3 server runs here, so the port is checked against a
/// table computed on 8.3 and against Jenkins' own published test values for lookup2.
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

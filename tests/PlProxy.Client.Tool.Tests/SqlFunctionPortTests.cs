using System.Reflection;
using Npgsql;

namespace PlProxy.Client.Scaffold.Tests;

/// <summary>
/// The proxy database's SQL hash functions the scaffold ports to C#: the ported methods compute, for many inputs, what
/// PostgreSQL computes for the same function; what the client cannot evaluate exactly stays in the report.
/// </summary>
public sealed class SqlFunctionPortTests(ScaffoldFixture fixture) : IClassFixture<ScaffoldFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private MethodInfo Ported(string name) =>
        fixture.Assembly.GetType("Scaffolded.Db.IUserdbProxy", throwOnError: true)!.GetMethod(name, BindingFlags.Public | BindingFlags.Static)
            ?? throw new InvalidOperationException($"{name} was not ported");

    [Fact]
    public void ScaffoldedInterface_CarriesThePortedHashFunctions()
    {
        string source = fixture.Files["IUserdbProxy.cs"];

        Assert.Contains("[HashFunction(\"hash_each\")]", source, StringComparison.Ordinal);
        Assert.Contains("[HashFunction(\"my_hash\")]", source, StringComparison.Ordinal);
        Assert.Contains("[HashFunction(\"hash_salted\")]", source, StringComparison.Ordinal);
        Assert.DoesNotContain("hash_lower\")]", source, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PortedSetOverUnnest_YieldsPostgresHashesInOrder()
    {
        MethodInfo hashEach = Ported("HashEach");
        var random = new Random(19);
        for (int i = 0; i < 100; i++)
        {
            string?[] keys = [.. Enumerable.Range(0, random.Next(0, 6)).Select(_ => random.Next(8) == 0 ? null : $"k{random.Next(1000)}é")];

            int?[] ours = [.. (IEnumerable<int?>)hashEach.Invoke(null, [keys])!];
            List<int?> theirs = await RowsAsync<int?>("select * from hash_each($1::text[])", keys);

            Assert.Equal(theirs, ours);
        }
    }

    [Fact]
    public async Task PortedScalarExpressions_ComputeWhatPostgresComputes()
    {
        MethodInfo myHash = Ported("MyHash");
        MethodInfo salted = Ported("HashSalted");
        var random = new Random(20);
        for (int i = 0; i < 100; i++)
        {
            string text = $"user{random.Next()}-日本";
            long id = random.NextInt64(long.MinValue, long.MaxValue);

            Assert.Equal(Assert.Single(await RowsAsync<int?>("select my_hash($1::text)", text)), (int?)myHash.Invoke(null, [text]));
            Assert.Equal(Assert.Single(await RowsAsync<long?>("select hash_salted($1::int8, 'pepper')", id)), (long?)salted.Invoke(null, [id, "pepper"]));
        }

        Assert.Null(myHash.Invoke(null, [null]));
        Assert.Null(salted.Invoke(null, [null, "pepper"]));
    }

    private async Task<List<T>> RowsAsync<T>(string sql, object? argument)
    {
        await using var proxy = NpgsqlDataSource.Create(fixture.ProxyConnectionString);
        await using NpgsqlCommand command = proxy.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = argument ?? DBNull.Value });
        var rows = new List<T>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(Token);
        while (await reader.ReadAsync(Token))
        {
            rows.Add(reader.IsDBNull(0) ? default! : reader.GetFieldValue<T>(0));
        }

        return rows;
    }
}

using System.Data.Common;
using System.Globalization;
using Npgsql;

namespace PlProxy.Client.Testing.Tests;

/// <summary>
/// A fake partition's values read as a real partition's columns are: for each column type and each .NET type a method
/// may read it as, the fake reader (the handler's value) and Npgsql (the same value from PostgreSQL) give the same
/// value or fail alike.
/// </summary>
public sealed class FakeDataReaderTests(FakeDataReaderTests.ServerFixture fixture) : IClassFixture<FakeDataReaderTests.ServerFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> Reads => new()
    {
        { "5::int4", "decimal" }, { "5::int4", "long" }, { "5::int4", "short" }, { "5::int4", "byte" }, { "5::int4", "double" }, { "5::int4", "float" },
        { "5::int8", "int" }, { "5::int8", "decimal" }, { "3000000000::int8", "int" }, { "-1::int4", "byte" }, { "70000::int4", "short" },
        { "5::int2", "long" }, { "5.0::numeric", "int" }, { "5.0::numeric", "long" }, { "5.0::numeric", "double" }, { "5.75::numeric", "int" },
        { "1.5::float4", "double" }, { "1.5::float4", "decimal" }, { "1.5::float8", "decimal" }, { "1.5::float8", "int" },
        { "'5'::text", "int" }, { "5::int4", "string" }, { "true", "int" }, { "1::int4", "bool" }, { "null::int4", "int" },
        { "1.5::float8", "float" }, { "99999999999999999999::numeric", "long" }, { "null::int4", "int?" }, { "5::int4", "int?" }, { "5::int8", "decimal?" }, { "null::text", "string" },
    };

    [Theory]
    [MemberData(nameof(Reads))]
    public async Task AValueReadAsAType_GivesWhatNpgsqlGivesForTheSameColumn(string literal, string type)
    {
        await using var source = NpgsqlDataSource.Create(fixture.Server.ConnectionString());
        await using NpgsqlCommand command = source.CreateCommand($"select {literal} as r");
        await using NpgsqlDataReader real = await command.ExecuteReaderAsync(Token);
        Assert.True(await real.ReadAsync(Token));
        object? value = real.IsDBNull(0) ? null : real.GetValue(0);
        using DbDataReader fake = FakeRows.Scalar(value).ToReader();
        Assert.True(fake.Read());

        Assert.Equal(Outcome(real, type), Outcome(fake, type));
    }

    private static string Outcome(DbDataReader reader, string type)
    {
        try
        {
            object? read = type switch
            {
                "decimal" => reader.GetFieldValue<decimal>(0),
                "long" => reader.GetFieldValue<long>(0),
                "int" => reader.GetFieldValue<int>(0),
                "short" => reader.GetFieldValue<short>(0),
                "byte" => reader.GetFieldValue<byte>(0),
                "double" => reader.GetFieldValue<double>(0),
                "float" => reader.GetFieldValue<float>(0),
                "string" => reader.GetFieldValue<string>(0),
                "bool" => reader.GetFieldValue<bool>(0),
                "int?" => reader.GetFieldValue<int?>(0),
                "decimal?" => reader.GetFieldValue<decimal?>(0),
                _ => throw new ArgumentOutOfRangeException(nameof(type)),
            };
            return $"{read?.GetType().Name} {Convert.ToString(read, CultureInfo.InvariantCulture)}";
        }
        catch (Exception e) when (e is InvalidCastException or OverflowException)
        {
            return e.GetType().Name;
        }
    }

    /// <summary>One server for every case.</summary>
    public sealed class ServerFixture : IAsyncLifetime
    {
        public LocalPostgresServer Server { get; private set; } = null!;

        public async ValueTask InitializeAsync() => Server = await LocalPostgresServer.StartAsync();

        public ValueTask DisposeAsync() => Server.DisposeAsync();
    }
}

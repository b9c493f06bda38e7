using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Testing;

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

    [Fact]
    public async Task Scaffold_OfATurkishProxyDatabase_WritesItsCaseMapping_SoLowerOfIRoutesAsPlProxyDid()
    {
        LocalPostgresServer server = fixture.Partitions.Server;
        string name = $"tr_proxy_{Guid.NewGuid():N}"[..20];
        // eng/test.sh makes the tr_TR.UTF-8 locale.
        await server.ExecuteAsync("postgres", $"create database {name} template template0 encoding 'UTF8' lc_collate 'tr_TR.UTF-8' lc_ctype 'tr_TR.UTF-8'", Token);
        await server.ExecuteAsync(name, UserdbCluster(server) + """
            create function by_name(x text) returns text as $$ cluster 'userdb'; run on hashtext(lower(x)); select current_database()::text; $$ language plproxy;
            """, Token);
        string output = Directory.CreateTempSubdirectory("plproxy-tool-").FullName;
        try
        {
            (int exitCode, _, _) = await ScaffoldFixture.ScaffoldAsync(["--connection", server.ConnectionString(name), "--output", output, "--namespace", "Scaffolded.Turkish"]);

            Assert.Equal(0, exitCode);
            IConfiguration configuration = new ConfigurationBuilder().AddJsonFile(Path.Combine(output, "appsettings.plproxy.json")).Build();
            var services = new ServiceCollection();
            services.AddPlProxy(configuration.GetSection("PlProxy"));
            await using ServiceProvider provider = services.BuildServiceProvider();
            Assert.Equal(PlProxyCaseMapping.Turkic, provider.GetRequiredService<IOptionsMonitor<PlProxyOptions>>().CurrentValue.Clusters["userdb"].CaseMapping);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public async Task Scaffold_OfALatin1ProxyDatabase_WritesItsEncoding_AndPortsNoTextHash_WhichHashedLatin1Bytes()
    {
        LocalPostgresServer server = fixture.Partitions.Server;
        string name = $"latin1_proxy_{Guid.NewGuid():N}"[..24];
        string proxy = await server.CreateDatabaseAsync(name, encoding: "LATIN1", cancellationToken: Token);
        await server.ExecuteAsync(name, UserdbCluster(server) + """
            create function my_hash(x text) returns int4 language sql as $$ select hashtext(x) $$;
            create function id_hash(id int8) returns int4 language sql as $$ select hashint8(id) $$;
            create function by_text(x text) returns text as $$ cluster 'userdb'; run on my_hash(x); select current_database()::text; $$ language plproxy;
            create function by_id(id int8) returns text as $$ cluster 'userdb'; run on id_hash(id); select current_database()::text; $$ language plproxy;
            """, Token);
        string output = Directory.CreateTempSubdirectory("plproxy-tool-").FullName;
        try
        {
            (int exitCode, _, _) = await ScaffoldFixture.ScaffoldAsync(["--connection", proxy, "--output", output, "--namespace", "Scaffolded.Latin1"]);

            Assert.Equal(0, exitCode);
            string source = File.ReadAllText(Path.Combine(output, "IUserdbProxy.cs"));
            Assert.Contains("[HashFunction(\"id_hash\")]", source, StringComparison.Ordinal); // an integer hash is the same in every encoding
            Assert.DoesNotContain("[HashFunction(\"my_hash\")]", source, StringComparison.Ordinal);
            string line = Assert.Single(File.ReadAllLines(Path.Combine(output, "scaffold-report.md")), l => l.StartsWith("| `by_text(text)`", StringComparison.Ordinal));
            Assert.Contains("my_hash is a SQL function the scaffold did not port: hashtext() in this LATIN1 proxy database hashed text's LATIN1 bytes", line, StringComparison.Ordinal);

            // The fragment carries the encoding, so the clusters it configures refuse what they cannot route as PL/Proxy did.
            IConfiguration configuration = new ConfigurationBuilder().AddJsonFile(Path.Combine(output, "appsettings.plproxy.json")).Build();
            var services = new ServiceCollection();
            services.AddPlProxy(configuration.GetSection("PlProxy"));
            await using ServiceProvider provider = services.BuildServiceProvider();
            Assert.Equal("LATIN1", provider.GetRequiredService<IOptionsMonitor<PlProxyOptions>>().CurrentValue.Clusters["userdb"].ProxyDatabaseEncoding);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
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

    // A proxy database's cluster 'userdb' over the fixture's four scaffold partitions, as PL/Proxy's config functions give it.
    private static string UserdbCluster(LocalPostgresServer server) => $"""
        create extension plproxy;
        create schema plproxy;
        create function plproxy.get_cluster_version(c text) returns int4 language sql as $$ select 1 $$;
        create function plproxy.get_cluster_partitions(c text) returns setof text language sql as
            $$ select 'host={server.Host} port={server.Port} dbname=scaffold_part' || i || ' user=postgres' from generate_series(0, 3) i $$;
        create function plproxy.get_cluster_config(in c text, out key text, out val text) returns setof record language sql as
            $$ select null::text, null::text where false $$;

        """;
}

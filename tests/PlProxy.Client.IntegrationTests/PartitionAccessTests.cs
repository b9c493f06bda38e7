using System.Collections.Concurrent;
using System.Diagnostics;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Hashing;

namespace PlProxy.Client.IntegrationTests;

/// <summary>
/// <see cref="PlProxyDataSource.GetPartitionAsync"/>: the partition a hash routes to, for Dapper, EF Core and
/// transactions of several statements, from the library's own map and pools. PL/Proxy is the oracle for where a key
/// lives; the lease keeps a replaced map's pool alive while a partition is held.
/// </summary>
[Collection(UserDbFixture.Collection)]
public sealed class PartitionAccessTests(UserDbFixture fixture)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private PlProxyDataSource Source => fixture.Services.GetRequiredService<PlProxyDataSource>();

    [Fact]
    public async Task GetPartition_ForEveryKey_IsTheDatabasePlProxyRoutesTheKeyTo()
    {
        await using (NpgsqlCommand create = fixture.PlProxy.CreateCommand("""
            create or replace function where_is(username text) returns text as $$
                cluster 'userdb'; run on hashtext(username); select current_database()::text; $$ language plproxy;
            """))
        {
            await create.ExecuteNonQueryAsync(Token);
        }

        foreach ((string username, int partition, _, _) in fixture.Users)
        {
            await using NpgsqlCommand where = fixture.PlProxy.CreateCommand("select where_is($1)");
            where.Parameters.Add(new NpgsqlParameter<string> { TypedValue = username });
            string plproxy = (string)(await where.ExecuteScalarAsync(Token))!;

            await using PlProxyPartition p = await Source.GetPartitionAsync("userdb", PgHash.HashText(username), Token);
            await using NpgsqlCommand current = p.DataSource.CreateCommand("select current_database()::text");
            string ours = (string)(await current.ExecuteScalarAsync(Token))!;

            Assert.Equal(plproxy, ours);
            Assert.Equal(partition, p.Index);
            Assert.Equal("userdb", p.Cluster);
            Assert.Equal(PgHash.HashText(username), p.Hash);
        }
    }

    [Fact]
    public async Task Dapper_OnThePartitionsDataSource_ReadsWhatTheProxyReads()
    {
        foreach ((string username, _, decimal balance, _) in fixture.Users.Take(40))
        {
            await using PlProxyPartition p = await Source.GetPartitionAsync("userdb", PgHash.HashText(username), Token);
            await using NpgsqlConnection connection = await p.DataSource.OpenConnectionAsync(Token);
            decimal read = await connection.QuerySingleAsync<decimal>("select balance from users where username = @username", new { username });

            Assert.Equal(balance, read);
            Assert.Equal(await fixture.Db.GetBalanceAsync(username, Token), read);
        }
    }

    [Fact]
    public async Task EfCore_OverThePartitionsDataSource_ReadsAndWritesTheKeysRowThere()
    {
        (string username, int partition, decimal balance, _) = fixture.Users[7];
        await using PlProxyPartition p = await Source.GetPartitionAsync("userdb", PgHash.HashText(username), Token);
        DbContextOptions<UsersContext> options = new DbContextOptionsBuilder<UsersContext>().UseNpgsql(p.DataSource).Options;
        try
        {
            await using (var context = new UsersContext(options))
            {
                UserRow row = await context.Users.SingleAsync(u => u.Username == username, Token);
                Assert.Equal(balance, row.Balance);
                row.Balance += 1;
                await context.SaveChangesAsync(Token);
            }

            Assert.Equal(balance + 1, await fixture.Db.GetBalanceAsync(username, Token));
            Assert.Equal(partition, p.Index);
        }
        finally
        {
            await using var context = new UsersContext(options);
            await context.Users.Where(u => u.Username == username).ExecuteUpdateAsync(u => u.SetProperty(r => r.Balance, balance), Token);
        }
    }

    [Fact]
    public async Task HeldPartition_WhileTheMapIsReplaced_KeepsItsPoolUntilDisposed()
    {
        await using PlProxyDataSource source = PlProxyDataSource.Create(Options("v1"));
        (string username, int partition, _, _) = fixture.Users[3];
        PlProxyPartition held = await source.GetPartitionAsync("userdb", PgHash.HashText(username), Token);
        NpgsqlDataSource pool = held.DataSource;

        source.Reconfigure(Options("v2"));

        await using (NpgsqlConnection connection = await pool.OpenConnectionAsync(Token))
        await using (NpgsqlCommand command = new("select current_setting('application_name')", connection))
        {
            Assert.Equal("v1", await command.ExecuteScalarAsync(Token)); // the version it was taken on, still open
        }

        Assert.Equal(2 * UserDbFixture.PartitionCount, source.PoolCount);
        await held.DisposeAsync();
        Assert.Equal(UserDbFixture.PartitionCount, source.PoolCount); // the replaced version's pools went with the last lease
        Assert.Throws<ObjectDisposedException>(() => held.DataSource);

        await using PlProxyPartition fresh = await source.GetPartitionAsync("userdb", PgHash.HashText(username), Token);
        await using NpgsqlCommand now = fresh.DataSource.CreateCommand("select current_setting('application_name')");
        Assert.Equal("v2", await now.ExecuteScalarAsync(Token));
        Assert.Equal(partition, fresh.Index);
    }

    [Fact]
    public async Task ConcurrentPartitions_WhileTheMapIsReplacedAgainAndAgain_NeverMeetADisposedPoolAndLeaveOnlyTheCurrentOnes()
    {
        // Until 200 uses and 20 map changes have happened (a busy machine takes longer; 30 s at most).
        await using PlProxyDataSource source = PlProxyDataSource.Create(Options("v0"));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        stop.CancelAfter(TimeSpan.FromSeconds(30));
        var problems = new ConcurrentQueue<string>();
        int uses = 0, changes = 0;

        async Task Use(int worker)
        {
            var random = new Random(worker);
            while (!stop.IsCancellationRequested)
            {
                (string username, int partition, _, _) = fixture.Users[random.Next(fixture.Users.Count)];
                try
                {
                    await using PlProxyPartition p = await source.GetPartitionAsync("userdb", PgHash.HashText(username), Token);
                    await using NpgsqlCommand command = p.DataSource.CreateCommand("select current_database()::text");
                    string database = (string)(await command.ExecuteScalarAsync(Token))!;
                    if (database != UserDbFixture.PartitionDatabase(partition))
                    {
                        problems.Enqueue($"{username}: {database}, expected {UserDbFixture.PartitionDatabase(partition)}");
                    }

                    if (Interlocked.Increment(ref uses) >= 200 && Volatile.Read(ref changes) >= 20)
                    {
                        await stop.CancelAsync();
                    }
                }
                catch (Exception e)
                {
                    problems.Enqueue($"{username}: {e.GetType().Name}: {e.Message}");
                }
            }
        }

        async Task Replace()
        {
            while (!stop.IsCancellationRequested)
            {
                source.Reconfigure(Options($"v{Interlocked.Increment(ref changes)}"));
                await Task.Delay(20, CancellationToken.None);
            }
        }

        var elapsed = Stopwatch.StartNew();
        await Task.WhenAll([.. Enumerable.Range(0, 8).Select(w => Task.Run(() => Use(w), Token)), Task.Run(Replace, Token)]).WaitAsync(TimeSpan.FromSeconds(60), Token);

        Assert.True(problems.IsEmpty, $"{problems.Count} problems in {uses} uses over {changes} map changes:\n{string.Join('\n', problems.Take(10))}");
        Assert.True(changes >= 20 && uses >= 200, $"Only {uses} uses and {changes} map changes in {elapsed.Elapsed.TotalSeconds:0.0} s.");
        Assert.Equal(UserDbFixture.PartitionCount, source.PoolCount);
    }

    [Fact]
    public async Task GetPartition_OfAnUnknownCluster_FailsNamingIt()
    {
        PlProxyException e = await Assert.ThrowsAsync<PlProxyException>(async () => await Source.GetPartitionAsync("nosuch", 42, Token));

        Assert.Contains("no such cluster: nosuch", e.Message, StringComparison.Ordinal);
        Assert.Equal("nosuch", e.Cluster);
    }

    [Fact]
    public async Task GetPartition_WithoutAClusterName_IsRefused()
    {
        await Assert.ThrowsAsync<ArgumentException>(async () => await Source.GetPartitionAsync("", 42, Token));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Source.GetPartitionAsync(null!, 42, Token));
    }

    [Fact]
    public async Task GetPartition_OnADisposedDataSource_Throws()
    {
        PlProxyDataSource source = PlProxyDataSource.Create(Options("gone"));
        await source.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await source.GetPartitionAsync("userdb", 42, Token));
    }

    [Theory]
    [InlineData(int.MinValue)]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(int.MaxValue)]
    public async Task GetPartition_OfAnyHash_IsTheMaskOfItsLowBits(int hash)
    {
        await using PlProxyPartition p = await Source.GetPartitionAsync("userdb", hash, Token);

        Assert.Equal(hash & (UserDbFixture.PartitionCount - 1), p.Index);
    }

    // The fixture's partitions under an application name of their own: a map whose pools are not shared with any other.
    private PlProxyOptions Options(string applicationName)
    {
        var options = new PlProxyOptions();
        options.AddCluster("userdb", [.. fixture.PartitionConnectionStrings.Select(cs => $"{cs};Application Name={applicationName}")]);
        return options;
    }

    private sealed class UsersContext(DbContextOptions<UsersContext> options) : DbContext(options)
    {
        public DbSet<UserRow> Users => Set<UserRow>();

        protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.Entity<UserRow>(user =>
        {
            user.ToTable("users");
            user.HasKey(u => u.Username);
            user.Property(u => u.Username).HasColumnName("username");
            user.Property(u => u.Balance).HasColumnName("balance");
        });
    }

    private sealed class UserRow
    {
        public string Username { get; set; } = "";

        public decimal Balance { get; set; }
    }
}

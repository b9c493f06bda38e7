using System.Diagnostics;
using Npgsql;
using PlProxy.Client.Hashing;
using PlProxy.Client.Tool.Resharding;
using Resharding;

namespace PlProxy.Client.Scaffold.Tests.Resharding;

/// <summary>
/// The keys written since the comparison, recorded by a temporary logical decoding slot (<see cref="ChangedKeys"/>) and
/// compared by key (<see cref="CopyDiff.CompareKeysAsync"/>): every kind of change records its key as the key's type
/// reads it; a hand change on a copy is found among the rows written since, reading only those; a slot that cannot
/// start in time says so instead of waiting; and no slot outlives its session.
/// </summary>
[Collection(ReshardFixture.Collection)]
public sealed class ChangedKeysTests(ReshardFixture fixture)
{
    private static int _databases;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Recorder_OfInsertsUpdatesKeyChangesAndDeletes_RecordsEveryKeyAsItsTypeReadsIt_AndATruncateAsWhole()
    {
        string database = await NewDatabaseAsync("""
            create schema "We.ird";
            create table "We.ird"."Ta""ble" ("Id" text primary key, v int);
            create table composite (a int, b timestamptz, v text, primary key (a, b));
            create table truncated (id int primary key);
            create domain "odd]:type" as text;
            create table odd (v "odd]:type", id int primary key);
            insert into composite values (7, '2026-01-02 03:04:05+00', 'before');
            insert into truncated values (1);
            """);
        await using var data = NpgsqlDataSource.Create(database);
        TableKey weird = await TableKey.ReadAsync(data, "\"We.ird\".\"Ta\"\"ble\"", Token);
        TableKey composite = await TableKey.ReadAsync(data, "composite", Token);
        TableKey truncated = await TableKey.ReadAsync(data, "truncated", Token);
        TableKey odd = await TableKey.ReadAsync(data, "odd", Token);
        Assert.Equal("\"We.ird\".\"Ta\"\"ble\"", weird.Qualified);

        await using ChangedKeys recorder = await ChangedKeys.StartAsync(database, [weird, composite, truncated, odd], TimeSpan.FromSeconds(10), Token);
        Assert.True(recorder.IsWhole(odd)); // a type named with "]:" would end early in a decoded line: compared whole, not by key
        await using (NpgsqlCommand write = data.CreateCommand("""
            insert into "We.ird"."Ta""ble" values ('it''s "quoted"', 1), (e'back\\slash and space', 2), ('ключ', 3), ('gone', 4);
            update "We.ird"."Ta""ble" set "Id" = 'renamed' where v = 3;
            delete from "We.ird"."Ta""ble" where v = 4;
            update composite set v = repeat('x', 100000) where a = 7;
            update composite set v = 'after' where a = 7;
            truncate truncated;
            insert into odd values ('x', 1);
            """))
        {
            await write.ExecuteNonQueryAsync(Token);
        }

        await recorder.ReadAsync(Token);

        Assert.Equal(["back\\slash and space", "gone", "it's \"quoted\"", "renamed", "ключ"], recorder.KeysOf(weird).Order(StringComparer.Ordinal));
        string[] key = Assert.Single(recorder.KeysOf(composite)).Split(ChangedKeys.Separator);
        Assert.Equal(2, key.Length);
        Assert.Equal("7", key[0]);
        Assert.False(recorder.IsWhole(weird));
        Assert.True(recorder.IsWhole(truncated));

        // Read back as their types read them: the keys select exactly the rows still there.
        var diff = new CopyDiff(data, data, _ => Task.CompletedTask, chunkRows: 0);
        TableDiff same = await diff.CompareKeysAsync(weird, "true", recorder.KeysOf(weird), Token);
        Assert.Equal((3L, true), (same.Rows, same.Equal)); // "gone" was deleted, "ключ" renamed
        Assert.Equal(1L, (await diff.CompareKeysAsync(composite, "true", recorder.KeysOf(composite), Token)).Rows);

        recorder.Clear();
        await recorder.ReadAsync(Token);
        Assert.Empty(recorder.KeysOf(weird)); // each change is read once
        Assert.True(recorder.IsWhole(truncated)); // and a table once whole stays whole
    }

    [Fact]
    public async Task KeysWrittenOnASourceAndItsCopy_FindAHandChangeOnTheCopy_ReadingOnlyTheRowsWrittenSince()
    {
        DemoCluster cluster = await fixture.ClusterAsync(2, 2, Token);
        string[] keys = [.. Enumerable.Range(0, 600).Select(i => $"user{i}")];
        await ReshardFixture.SeedAsync(cluster.Partitions, keys, Token);
        string[] split = ["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", .. cluster.Spares];
        (int stopped, string output, string error) = await Tool.RunAsync([.. split, "--stop-before-switch"]);
        Assert.True(stopped == 0, output + error);

        string source = ReshardFixture.ConnectionString(cluster.Partitions[0]);
        string copy = ReshardFixture.ConnectionString(cluster.Spares[0]);
        await using var sourceData = NpgsqlDataSource.Create(source);
        await using var copyData = NpgsqlDataSource.Create(copy);
        TableKey writes = await TableKey.ReadAsync(sourceData, "writes", Token);
        await using ChangedKeys onSource = await ChangedKeys.StartAsync(source, [writes], TimeSpan.FromSeconds(10), Token);
        await using ChangedKeys onCopy = await ChangedKeys.StartAsync(copy, [writes], TimeSpan.FromSeconds(10), Token);

        // Since the recording began: 40 keys written through the old map, and one old moving row changed by hand on the copy.
        string[] later = [.. Enumerable.Range(0, 40).Select(i => $"later{i}")];
        await ReshardFixture.SeedAsync(cluster.Partitions, later, Token);
        string changed = $"seed-{keys.First(k => Partitions.IndexOf(PgHash.HashText(k), 4) == 2)}";
        await using (NpgsqlCommand hand = copyData.CreateCommand("update writes set written_at = '2000-01-01' where id = $1"))
        {
            hand.Parameters.Add(new NpgsqlParameter<string> { TypedValue = changed });
            Assert.Equal(1, await hand.ExecuteNonQueryAsync(Token));
        }

        await WaitAppliedAsync(sourceData, copyData, later.Where(k => Partitions.IndexOf(PgHash.HashText(k), 2) == 0).Select(k => $"seed-{k}"));
        await onSource.ReadAsync(Token);
        await onCopy.ReadAsync(Token);
        HashSet<string> written = [.. onSource.KeysOf(writes), .. onCopy.KeysOf(writes)];

        var diff = new CopyDiff(sourceData, copyData, _ => Task.CompletedTask, chunkRows: 0);
        TableDiff found = await diff.CompareKeysAsync(writes, "(hashtext(t.key) & 3) = 2", written, Token);

        int movingLater = later.Count(k => Partitions.IndexOf(PgHash.HashText(k), 4) == 2);
        Assert.Equal(movingLater + 1, found.Rows); // the moving rows written since, and the one changed by hand: not all 600
        Assert.Equal((0L, 0L, 1L), (found.Missing, found.Extra, found.Different));
        Assert.Equal([changed], found.DifferentKeys);
        Assert.Equal(0, (await Tool.RunAsync([.. split, "--abort"])).ExitCode);
    }

    [Fact]
    public async Task Recorder_WhileATransactionThatWroteStaysOpen_FailsAtItsTimeoutInsteadOfWaiting_AndLeavesNoSlot()
    {
        string database = await NewDatabaseAsync("create table t (id int primary key);");
        await using var open = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database) { Pooling = false }.ConnectionString);
        await open.OpenAsync(Token);
        await using NpgsqlTransaction transaction = await open.BeginTransactionAsync(Token);
        await using (var write = new NpgsqlCommand("insert into t values (1)", open, transaction))
        {
            await write.ExecuteNonQueryAsync(Token); // holds a transaction id until it ends
        }

        var clock = Stopwatch.StartNew();
        PostgresException refused = await Assert.ThrowsAsync<PostgresException>(
            () => ChangedKeys.StartAsync(database, [], TimeSpan.FromSeconds(1), Token).WaitAsync(TimeSpan.FromSeconds(30), Token));

        Assert.Equal(PostgresErrorCodes.QueryCanceled, refused.SqlState);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(20));
        await transaction.RollbackAsync(Token);
        Assert.Equal(0L, await SlotsAsync(database));
    }

    [Fact]
    public async Task Recorder_WhoseSessionEnds_LeavesNoSlot()
    {
        string database = await NewDatabaseAsync("create table t (id int primary key);");
        ChangedKeys recorder = await ChangedKeys.StartAsync(database, [], TimeSpan.FromSeconds(10), Token);
        Assert.Equal(1L, await SlotsAsync(database));

        // Its backend ended from outside, as when the tool is killed and the server notices the closed socket.
        await using (var server = NpgsqlDataSource.Create(fixture.Server.ConnectionString()))
        await using (NpgsqlCommand terminate = server.CreateCommand("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'plproxy recheck' and datname = $1"))
        {
            terminate.Parameters.Add(new NpgsqlParameter<string> { TypedValue = new NpgsqlConnectionStringBuilder(database).Database! });
            await terminate.ExecuteNonQueryAsync(Token);
        }

        var waited = Stopwatch.StartNew();
        while (await SlotsAsync(database) > 0 && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20, Token);
        }

        Assert.Equal(0L, await SlotsAsync(database));
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => recorder.ReadAsync(Token));
        await recorder.DisposeAsync();
    }

    private async Task<string> NewDatabaseAsync(string setup)
    {
        string name = $"changed_keys_{Interlocked.Increment(ref _databases)}_{Environment.ProcessId}";
        string database = await fixture.Server.CreateDatabaseAsync(name, cancellationToken: Token);
        await fixture.Server.ExecuteAsync(name, setup, Token);
        return database;
    }

    private async Task<long> SlotsAsync(string database)
    {
        await using var server = NpgsqlDataSource.Create(fixture.Server.ConnectionString());
        await using NpgsqlCommand count = server.CreateCommand("select count(*) from pg_replication_slots where database = $1 and slot_name like 'plproxy_recheck_%'");
        count.Parameters.Add(new NpgsqlParameter<string> { TypedValue = new NpgsqlConnectionStringBuilder(database).Database! });
        return (long)(await count.ExecuteScalarAsync(Token))!;
    }

    // Waits (bounded) until the copy holds every moving one of the given ids its source holds.
    private static async Task WaitAppliedAsync(NpgsqlDataSource source, NpgsqlDataSource copy, IEnumerable<string> ids)
    {
        string[] wanted = [.. ids];
        var waited = Stopwatch.StartNew();
        while (true)
        {
            await using NpgsqlCommand onSource = source.CreateCommand("select count(*) from writes where id = any($1)");
            onSource.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = wanted });
            await using NpgsqlCommand onCopy = copy.CreateCommand("select count(*) from writes where id = any($1)");
            onCopy.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = wanted });
            if ((long)(await onSource.ExecuteScalarAsync(Token))! == (long)(await onCopy.ExecuteScalarAsync(Token))!)
            {
                return;
            }

            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "the copy did not apply the source's writes within 30 s");
            await Task.Delay(20, Token);
        }
    }
}

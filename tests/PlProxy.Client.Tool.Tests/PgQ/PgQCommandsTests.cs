using System.Diagnostics;
using Npgsql;
using PlProxy.Client.PgQ;
using PlProxy.Client.Testing;

namespace PlProxy.Client.Scaffold.Tests.PgQ;

/// <summary>One local PostgreSQL with PgQ for the <c>plproxy pgq</c> verbs.</summary>
public sealed class PgQToolFixture : IAsyncLifetime
{
    private int _databases;

    public LocalPostgresServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await LocalPostgresServer.StartAsync(cancellationToken: TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();

    /// <summary>A new database with PgQ and the given queues; its connection string.</summary>
    public async Task<string> DatabaseAsync(string[] queues, CancellationToken cancellationToken)
    {
        string name = $"q{Interlocked.Increment(ref _databases)}";
        string connectionString = await Server.CreateDatabaseAsync(name, cancellationToken: cancellationToken);
        await Server.ExecuteAsync(name, "create extension pgq;" + string.Concat(queues.Select(q => $"select pgq.create_queue('{q}');")), cancellationToken);
        return connectionString;
    }
}

/// <summary>
/// <c>plproxy pgq move</c>, <c>split</c>, <c>register</c>, <c>status</c> end to end on real PgQ: events arrive in the
/// target queues as they were, each once — also when a run is killed mid-batch or run twice.
/// </summary>
public sealed class PgQCommandsTests(PgQToolFixture fixture) : IClassFixture<PgQToolFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Move_Once_CopiesEveryEventAsItWasAndASecondRunMovesNothing()
    {
        string source = await fixture.DatabaseAsync(["orders"], Token);
        string target = await fixture.DatabaseAsync(["central"], Token);
        string[] move = ["pgq", "move", "--source", source, "--queue", "orders", "--target", target, "--target-queue", "central", "--consumer", "mover", "--once"];
        Assert.Contains("registered on queue orders", (await Tool.RunAsync(move)).Output, StringComparison.Ordinal);
        List<PgQEvent> sent = await ProduceAsync(source, "orders", 100);

        (int exitCode, string output, string error) = await Tool.RunAsync(move);
        (int again, string secondOutput, _) = await Tool.RunAsync(move);

        Assert.True(exitCode == 0, error);
        Assert.Contains("100 events in 1 batches", output, StringComparison.Ordinal);
        Assert.Equal(0, again);
        Assert.Contains("0 events in 0 batches", secondOutput, StringComparison.Ordinal);
        List<PgQBatchEvent> received = await ConsumeAsync(target, "central");
        Assert.Equal(sent, received.Select(e => new PgQEvent(e.Type, e.Data) { Extra1 = e.Extra1, Extra2 = e.Extra2, Extra3 = e.Extra3, Extra4 = e.Extra4 }));
        Assert.Equal((await ConsumeAsync(source, "orders")).Select(e => e.Time), received.Select(e => e.Time)); // their original times
        List<PgQBatchEvent> original = await ConsumeAsync(source, "orders", "auditor-registered-late"); // none: registered after
        Assert.Empty(original);
    }

    [Fact]
    public async Task Move_KilledMidBatch_ThenRunAgain_DeliversEveryEventExactlyOnce()
    {
        string source = await fixture.DatabaseAsync(["orders"], Token);
        string target = await fixture.DatabaseAsync(["central"], Token);
        string[] move = ["pgq", "move", "--source", source, "--queue", "orders", "--target", target, "--target-queue", "central", "--consumer", "mover", "--once"];
        await Tool.RunAsync(["pgq", "register", "--source", source, "--queue", "orders", "--consumer", "mover"]);
        for (int round = 0; round < 3; round++)
        {
            await ProduceAsync(source, "orders", 20_000, $"r{round}-");
        }

        for (int kill = 0; kill < 3; kill++)
        {
            using Process tool = StartTool(move);
            await Task.Delay(700 + (kill * 400), Token);
            tool.Kill(); // SIGKILL, wherever it is
            await tool.WaitForExitAsync(Token);
        }

        Assert.Equal(0, (await Tool.RunAsync(move)).ExitCode);

        List<PgQBatchEvent> received = await ConsumeAsync(target, "central");
        Assert.Equal(60_000, received.Count);
        Assert.Equal(60_000, received.Select(e => e.Data).Distinct().Count());
    }

    [Fact]
    public async Task Move_LongLived_WhenItsDatabaseServerIsDownAtStartOrRestarts_TriesAgainAfterExceptionSleepAndDeliversEveryEventOnce()
    {
        // A server of its own, to stop under the running mover (as SkyTools' consumers, it goes on once it is back).
        await using LocalPostgresServer server = await LocalPostgresServer.StartAsync(cancellationToken: Token);
        string source = await server.CreateDatabaseAsync("restarted_source", cancellationToken: Token);
        string target = await server.CreateDatabaseAsync("restarted_target", cancellationToken: Token);
        await server.ExecuteAsync("restarted_source", "create extension pgq; select pgq.create_queue('orders');", Token);
        await server.ExecuteAsync("restarted_target", "create extension pgq; select pgq.create_queue('central');", Token);
        await Tool.RunAsync(["pgq", "register", "--source", source, "--queue", "orders", "--consumer", "mover"]);
        await server.StopAsync(Token); // down when the mover starts, too
        using Process mover = StartTool(["pgq", "move", "--source", source, "--queue", "orders", "--target", target, "--target-queue", "central", "--consumer", "mover", "--exception-sleep", "0.5"]);
        Task<string> errors = mover.StandardError.ReadToEndAsync(Token);
        Task<string> output = mover.StandardOutput.ReadToEndAsync(Token);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1.5), Token);
            await server.RestartAsync(Token);
            await ProduceAsync(source, "orders", 100, "before-");
            await WaitForEventsAsync(target, 100);

            await server.StopAsync(Token);
            await Task.Delay(TimeSpan.FromSeconds(1.5), Token); // the mover's next batches fail meanwhile
            await server.RestartAsync(Token);
            await ProduceAsync(source, "orders", 100, "after-");
            await WaitForEventsAsync(target, 200);

            Assert.False(mover.HasExited, $"the mover exited ({(mover.HasExited ? mover.ExitCode : 0)}): {(mover.HasExited ? await errors : "")}");
        }
        finally
        {
            if (!mover.HasExited)
            {
                mover.Kill();
            }

            await mover.WaitForExitAsync(Token);
        }

        Assert.Contains("trying again in 0.5 s", await errors, StringComparison.Ordinal);
        TestContext.Current.TestOutputHelper?.WriteLine(await output + await errors);
        List<PgQBatchEvent> received = await ConsumeAsync(target, "central");
        Assert.Equal(200, received.Count);
        Assert.Equal(200, received.Select(e => e.Data).Distinct().Count());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Move_IntoATargetThatLostItsPosition_StopsWithASentenceAndExitCode2(bool once)
    {
        string source = await fixture.DatabaseAsync(["orders"], Token);
        string target = await fixture.DatabaseAsync(["central"], Token);
        await Tool.RunAsync(["pgq", "register", "--source", source, "--queue", "orders", "--consumer", "mover"]);
        await ProduceAsync(source, "orders", 10);
        await ExecuteAsync(target, """
            create schema plproxy_pgq;
            create table plproxy_pgq.completed_tick (queue_name text not null, consumer_name text not null, last_tick_id int8 not null, primary key (queue_name, consumer_name));
            insert into plproxy_pgq.completed_tick values ('orders', 'mover', 999999);
            """); // restored from a backup of another life: applying would apply twice or skip

        (int exitCode, _, string error) = await Tool.RunAsync(
            ["pgq", "move", "--source", source, "--queue", "orders", "--target", target, "--target-queue", "central", "--consumer", "mover", .. once ? (string[])["--once"] : [], "--exception-sleep", "0.1"]).WaitAsync(TimeSpan.FromSeconds(60), Token);

        Assert.Equal(2, exitCode);
        Assert.StartsWith("plproxy pgq move: lost position: consumer mover of queue orders has applied up to tick 999999", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal); // a sentence, not a stack trace
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public async Task Move_ByProcessesOfOneConsumerStartedTogether_AppliesEachEventOnceAndNoneFails(int processes)
    {
        for (int round = 0; round < 3; round++)
        {
            // A new target each round: the first batch finds no plproxy_pgq (nor a completed_tick row) yet.
            string source = await fixture.DatabaseAsync(["orders"], Token);
            string target = await fixture.DatabaseAsync(["central"], Token);
            string[] move = ["pgq", "move", "--source", source, "--queue", "orders", "--target", target, "--target-queue", "central", "--consumer", "mover", "--once"];
            await Tool.RunAsync(["pgq", "register", "--source", source, "--queue", "orders", "--consumer", "mover"]);
            for (int batch = 0; batch < 3; batch++)
            {
                await ProduceAsync(source, "orders", 10_000, $"b{batch}-"); // three batches
            }

            using var watching = CancellationTokenSource.CreateLinkedTokenSource(Token);
            Task<List<long>> ticks = WatchTicksAsync(target, watching.Token);
            List<(int ExitCode, string Error)> exits = await RunTogetherAsync(move, processes);
            await watching.CancelAsync();
            List<long> seen = await ticks;

            Assert.All(exits, exit => Assert.True(exit.ExitCode == 0 && exit.Error.Length == 0, $"round {round}: exit {exit.ExitCode}: {exit.Error}"));
            List<PgQBatchEvent> received = await ConsumeAsync(target, "central");
            Assert.Equal(30_000, received.Count);
            Assert.Equal(30_000, received.Select(e => e.Data).Distinct().Count());
            Assert.Equal(seen.Order(), seen); // the recorded tick never went backwards
            long last = await ScalarAsync<long>(source, "select last_tick from pgq.get_consumer_info('orders', 'mover')");
            Assert.Equal(last, await ScalarAsync<long>(target, "select last_tick_id from plproxy_pgq.completed_tick where consumer_name = 'mover'"));
        }
    }

    [Fact]
    public async Task MoveAndSplit_ToOrFromAQueueThatDoesNotExist_NameTheQueueAndTheSideAndApplyNothing()
    {
        string source = await fixture.DatabaseAsync(["orders"], Token);
        string target = await fixture.DatabaseAsync(["central"], Token);
        await Tool.RunAsync(["pgq", "register", "--source", source, "--queue", "orders", "--consumer", "mover"]);
        await ProduceAsync(source, "orders", 3);

        (int noTarget, _, string noTargetError) = await Tool.RunAsync(["pgq", "move", "--source", source, "--queue", "orders", "--target", target, "--target-queue", "nosuch", "--consumer", "mover", "--once"]);
        (int noSource, _, string noSourceError) = await Tool.RunAsync(["pgq", "move", "--source", source, "--queue", "gone", "--target", target, "--target-queue", "central", "--consumer", "mover", "--once"]);
        (int splitInto, _, string splitIntoError) = await Tool.RunAsync(["pgq", "split", "--source", source, "--queue", "orders", "--target", target, "--queue-field", "type", "--consumer", "mover", "--once"]);

        Assert.Equal((2, 2, 2), (noTarget, noSource, splitInto));
        Assert.Contains("The target database has no queue nosuch (select pgq.create_queue('nosuch') creates it); nothing was applied.", noTargetError, StringComparison.Ordinal);
        Assert.Contains("The source database has no queue gone", noSourceError, StringComparison.Ordinal);
        Assert.Contains("The target database has no queue type", splitIntoError, StringComparison.Ordinal); // the events' types name queues the target lacks
        Assert.Empty(await ConsumeAsync(target, "central"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Move_IntoTheQueueItReads_OnItsOwnDatabaseWrittenAnotherWay_IsRefusedApplyingNothing(bool once)
    {
        // Without --target-queue the target queue is the source's: given the source's own database (its string written
        // in another form), every moved event would come back in a later batch, again and again.
        string source = await fixture.DatabaseAsync(["orders"], Token);
        var builder = new NpgsqlConnectionStringBuilder(source) { ApplicationName = "the same database" };
        await Tool.RunAsync(["pgq", "register", "--source", source, "--queue", "orders", "--consumer", "mover"]);
        await ProduceAsync(source, "orders", 10);

        (int exitCode, _, string error) = await Tool.RunAsync(
            ["pgq", "move", "--source", source, "--queue", "orders", "--target", builder.ConnectionString, "--consumer", "mover", .. once ? (string[])["--once"] : []]).WaitAsync(TimeSpan.FromSeconds(60), Token);

        Assert.Equal(2, exitCode);
        Assert.StartsWith("plproxy pgq move: The target queue is the source queue orders, on the same database", error, StringComparison.Ordinal);
        Assert.Equal(10, await EventsAsync(source)); // nothing added
        Assert.Equal(10, (await ConsumeAsync(source, "orders", "mover")).Count); // the batch still open: still the mover's to apply
    }

    [Fact]
    public async Task Split_OfAnEventNamingTheQueueItIsReadFrom_OnItsOwnDatabase_IsRefusedApplyingNothing()
    {
        string source = await fixture.DatabaseAsync(["all", "public.orders"], Token);
        await Tool.RunAsync(["pgq", "register", "--source", source, "--queue", "all", "--consumer", "splitter"]);
        await using (var database = NpgsqlDataSource.Create(source))
        await using (NpgsqlConnection connection = await database.OpenConnectionAsync(Token))
        {
            await PgQProducer.InsertEventAsync(connection, "all", new PgQEvent("I:id", "id=1") { Extra1 = "public.orders" }, Token);
            await PgQProducer.InsertEventAsync(connection, "all", new PgQEvent("I:id", "id=2") { Extra1 = "all" }, Token);
        }

        await TickAsync(source, "all");
        (int exitCode, _, string error) = await Tool.RunAsync(["pgq", "split", "--source", source, "--queue", "all", "--target", source, "--consumer", "splitter", "--once"]);

        Assert.Equal(2, exitCode);
        Assert.StartsWith("plproxy pgq split: The target queue is the source queue all, on the same database", error, StringComparison.Ordinal);
        Assert.Equal(2, await EventsAsync(source)); // nothing added
        Assert.Equal(["id=1", "id=2"], (await ConsumeAsync(source, "all", "splitter")).Select(e => e.Data)); // still its to apply
    }

    [Fact]
    public async Task Split_PutsEachEventIntoTheQueueItsFieldNames()
    {
        string source = await fixture.DatabaseAsync(["all"], Token);
        string target = await fixture.DatabaseAsync(["public.accounts", "public.orders"], Token);
        await Tool.RunAsync(["pgq", "register", "--source", source, "--queue", "all", "--consumer", "splitter"]);
        await using (var database = NpgsqlDataSource.Create(source))
        await using (NpgsqlConnection connection = await database.OpenConnectionAsync(Token))
        {
            for (int i = 0; i < 10; i++)
            {
                await PgQProducer.InsertEventAsync(connection, "all", new PgQEvent("I:id", $"id={i}") { Extra1 = i % 2 == 0 ? "public.accounts" : "public.orders" }, Token);
            }
        }

        await TickAsync(source, "all");
        string[] split = ["pgq", "split", "--source", source, "--queue", "all", "--target", target, "--consumer", "splitter", "--once"];
        (int exitCode, _, string error) = await Tool.RunAsync(split);
        (int again, string secondOutput, _) = await Tool.RunAsync(split);

        Assert.True(exitCode == 0, error);
        Assert.Equal(0, again);
        Assert.Contains("0 events in 0 batches", secondOutput, StringComparison.Ordinal);
        Assert.Equal(["id=0", "id=2", "id=4", "id=6", "id=8"], (await ConsumeAsync(target, "public.accounts")).Select(e => e.Data));
        Assert.Equal(["id=1", "id=3", "id=5", "id=7", "id=9"], (await ConsumeAsync(target, "public.orders")).Select(e => e.Data));
    }

    [Fact]
    public async Task DispatchTable_PutsLogutrigaRowsIntoDailyTablesOnceWithTheChosenColumns()
    {
        (string source, string target) = await LoggedRowsAsync(["dispatcher"], """
            create table orders (id int4 primary key, amount numeric, note text, created timestamptz);
            create trigger orders_log after insert on orders for each row execute function pgq.logutriga('rows');
            insert into orders values (1, 10.5, 'a b&c', '2026-11-29 10:00+00'), (2, 20, null, '2026-11-29 23:59+00'), (3, 30, 'x', '2026-11-30 00:01+00');
            """, "create table orders_log (id int4 primary key, total numeric, note text, created timestamptz)");
        string[] dispatch = ["pgq", "dispatch-table", "--source", source, "--queue", "rows", "--target", target, "--consumer", "dispatcher",
            "--dest-table", "orders_log", "--part-field", "created", "--period", "day", "--fields", "id, amount:total, note, created", "--once"];
        (int exitCode, _, string error) = await Tool.RunAsync(dispatch);
        (int again, _, _) = await Tool.RunAsync(dispatch);

        Assert.True(exitCode == 0, error);
        Assert.Equal(0, again);
        Assert.Equal("1:10.5:a b&c|2:20:", await RowsAsync(target, "orders_log_2026_11_29"));
        Assert.Equal("3:30:x", await RowsAsync(target, "orders_log_2026_11_30"));
    }

    [Fact]
    public async Task DispatchTable_OfInsertsUpdatesAndDeletes_WritesEveryEventsRowAsSkyToolsTableDispatcherDoes()
    {
        (string source, string target) = await LoggedRowsAsync(["all-types", "inserts-only"], """
            create table orders (id int4 primary key, total numeric, note text);
            create trigger orders_log after insert or update or delete on orders for each row execute function pgq.logutriga('rows');
            insert into orders values (1, 10, 'a'), (2, null, ''), (3, 30, null);
            update orders set total = 15, note = '' where id = 1;
            delete from orders where id = 2;
            update orders set note = 'x y&z=1 é' where id = 3;
            """, "create table orders_log (id int4, total numeric, note text); create table inserts_log (like orders_log)");

        (int exitCode, _, string error) = await Tool.RunAsync(["pgq", "dispatch-table", "--source", source, "--queue", "rows", "--target", target,
            "--consumer", "all-types", "--dest-table", "orders_log", "--part-by", "event-time", "--period", "month", "--once"]);
        (int insertsOnly, _, string insertsError) = await Tool.RunAsync(["pgq", "dispatch-table", "--source", source, "--queue", "rows", "--target", target,
            "--consumer", "inserts-only", "--dest-table", "inserts_log", "--part-by", "event-time", "--period", "month", "--event-types", "I", "--once"]);

        Assert.True(exitCode == 0, error);
        Assert.True(insertsOnly == 0, insertsError);
        List<PgQBatchEvent> events = await ConsumeAsync(source, "rows");
        Assert.Equal(["I", "I", "I", "U", "D", "U"], events.Select(e => e.Type!.Split(':')[0]));
        string month = DateTime.UtcNow.ToString("yyyy_MM", System.Globalization.CultureInfo.InvariantCulture);
        const string Row = @"select coalesce(id::text, '\N') || '|' || coalesce(total::text, '\N') || '|' || coalesce(note, '\N') from ";
        List<string> written = await ListAsync(target, Row + $"orders_log_{month}");
        List<string> reference = await SkyToolsRowsAsync(events.Select(e => e.Data!));
        Assert.Equal(reference.Order(StringComparer.Ordinal), written.Order(StringComparer.Ordinal));
        Assert.Contains(@"2|\N|", written); // NULL and '' kept apart; the deleted row's last version logged
        Assert.Equal(
            (await SkyToolsRowsAsync(events.Where(e => e.Type!.StartsWith("I:", StringComparison.Ordinal)).Select(e => e.Data!))).Order(StringComparer.Ordinal),
            (await ListAsync(target, Row + $"inserts_log_{month}")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task DispatchTable_ByTwoProcessesOfOneConsumerStartedTogether_CreatesTheDaysTableAndWritesEachRowOnce()
    {
        (string source, string target) = await LoggedRowsAsync(["dispatcher"], """
            create table orders (id int4 primary key, total numeric, note text, created timestamptz);
            create trigger orders_log after insert on orders for each row execute function pgq.logutriga('rows');
            insert into orders select g, g, 'n' || g, '2026-11-29 10:00+00' from generate_series(1, 2000) g;
            """, "create table orders_log (id int4 primary key, total numeric, note text, created timestamptz)");

        List<(int ExitCode, string Error)> exits = await RunTogetherAsync(["pgq", "dispatch-table", "--source", source, "--queue", "rows", "--target", target,
            "--consumer", "dispatcher", "--dest-table", "orders_log", "--part-field", "created", "--once"], 2);

        Assert.All(exits, exit => Assert.True(exit.ExitCode == 0 && exit.Error.Length == 0, $"exit {exit.ExitCode}: {exit.Error}"));
        Assert.Equal(2000L, await ScalarAsync<long>(target, "select count(distinct id) from orders_log_2026_11_29"));
    }

    [Theory]
    [InlineData("keep-latest", "1:15:updated|3:30:x")]
    [InlineData("keep-all", null)]
    public async Task DispatchCube_KeepsTheLatestVersionPerKeyOrRefusesDeletesWhenKeepingAll(string mode, string? expected)
    {
        (string source, string target) = await LoggedRowsAsync(["cube"], """
            create table orders (id int4 primary key, total numeric, note text);
            create trigger orders_log after insert or update or delete on orders for each row execute function pgq.logutriga('rows');
            insert into orders values (1, 10, 'first'), (2, 20, 'gone'), (3, 30, 'x');
            update orders set total = 15, note = 'updated' where id = 1;
            delete from orders where id = 2;
            """, mode == "keep-all"
            ? "create table orders (id int4, total numeric, note text)" // every version: no unique key
            : "create table orders (id int4 primary key, total numeric, note text)");
        string[] cube = ["pgq", "dispatch-cube", "--source", source, "--queue", "rows", "--target", target, "--consumer", "cube", "--mode", mode, "--date-format", "", "--once"];
        (int exitCode, _, string error) = await Tool.RunAsync(cube);

        if (expected is null)
        {
            Assert.Equal(2, exitCode);
            Assert.Contains("keep-all keeps every version and cannot apply a delete", error, StringComparison.Ordinal);
            Assert.Null(await RowsAsync(target, "orders")); // the batch was applied not at all
        }
        else
        {
            Assert.True(exitCode == 0, error);
            Assert.Equal(expected, await RowsAsync(target, "orders"));
            Assert.Equal(0, (await Tool.RunAsync(cube)).ExitCode); // run again: nothing applied twice
            Assert.Equal(expected, await RowsAsync(target, "orders"));
        }
    }

    [Fact]
    public async Task DispatchTable_ByEventTimeAndMonth_CreatesTheMonthsTableFromTheTemplate()
    {
        (string source, string target) = await LoggedRowsAsync(["monthly"], """
            create table orders (id int4 primary key, total numeric, note text);
            create trigger orders_log after insert on orders for each row execute function pgq.logutriga('rows');
            insert into orders values (1, 10, 'a'), (2, 20, 'b');
            """, "create table orders_log (id int4, total numeric, note text)");
        (int exitCode, _, string error) = await Tool.RunAsync(["pgq", "dispatch-table", "--source", source, "--queue", "rows", "--target", target, "--consumer", "monthly",
            "--dest-table", "orders_log", "--part-by", "event-time", "--period", "month",
            "--part-template", "create table _DEST_TABLE (like _PARENT); comment on table _DEST_TABLE is 'from the template'", "--once"]);

        Assert.True(exitCode == 0, error);
        string month = $"orders_log_{DateTime.UtcNow:yyyy_MM}";
        Assert.Equal("1:10:a|2:20:b", await RowsAsync(target, month));
        await using var check = NpgsqlDataSource.Create(target);
        await using NpgsqlCommand comment = check.CreateCommand($"select obj_description('{month}'::regclass)");
        Assert.Equal("from the template", await comment.ExecuteScalarAsync(Token));
    }

    [Fact]
    public async Task DispatchTableAndCube_OfASourceInAnotherTimeZone_PickEachRowsDayAsSkyToolsDoes_TheDateAsWrittenThere()
    {
        // SkyTools' table dispatcher takes the date part of the column's text (of the event's time for _EVTIME), and its
        // cube dispatcher to_char(batch_end, ...), as the source database writes them in its time zone. A zone 14 hours ahead of UTC (or 12 behind, before noon UTC) makes
        // that date another one than UTC's, for the column's value and for the event's time now.
        bool ahead = DateTime.UtcNow.Hour >= 12;
        string zone = ahead ? "Pacific/Kiritimati" : "Etc/GMT+12";
        (string source, string target) = await LoggedRowsAsync(["by-column", "by-time", "cube"], $$"""
            do $$ begin execute format('alter database %I set timezone = %L', current_database(), '{{zone}}'); end $$;
            set timezone = '{{zone}}';
            create table orders (id int4 primary key, created timestamptz);
            create trigger orders_log after insert on orders for each row execute function pgq.logutriga('rows');
            insert into orders values (1, '{{(ahead ? "2026-11-29 20:00+00" : "2026-11-29 05:00+00")}}');
            """, "create table orders_log (id int4, created timestamptz); create table orders (id int4 primary key, created timestamptz);");
        string writtenThere = ahead ? "2026_11_30" : "2026_11_28";
        string eventDay;
        await using (var events = NpgsqlDataSource.Create(source))
        {
            eventDay = (string)(await events.CreateCommand($"select to_char(ev_time at time zone '{zone}', 'YYYY_MM_DD') from pgq.event_template").ExecuteScalarAsync(Token))!;
        }

        (int byColumn, _, string columnError) = await Tool.RunAsync(["pgq", "dispatch-table", "--source", source, "--queue", "rows", "--target", target,
            "--consumer", "by-column", "--dest-table", "orders_log", "--part-field", "created", "--once"]);
        (int byTime, _, string timeError) = await Tool.RunAsync(["pgq", "dispatch-table", "--source", source, "--queue", "rows", "--target", target,
            "--consumer", "by-time", "--dest-table", "orders_log", "--part-by", "event-time", "--once"]);

        (int cube, _, string cubeError) = await Tool.RunAsync(["pgq", "dispatch-cube", "--source", source, "--queue", "rows", "--target", target, "--consumer", "cube", "--once"]);

        Assert.True(byColumn == 0, columnError);
        Assert.True(byTime == 0, timeError);
        Assert.True(cube == 0, cubeError);
        await using var tables = NpgsqlDataSource.Create(target);
        await using NpgsqlCommand days = tables.CreateCommand(
            "select string_agg(c.relname || '=' || pg_catalog.pg_relation_size(c.oid)::text, ',' order by c.relname) from pg_class c where c.relname like 'orders\\_log\\_%' and c.relkind = 'r'");
        string? created = (string?)await days.ExecuteScalarAsync(Token);
        string[] expected = eventDay == writtenThere ? [$"orders_log_{writtenThere}"] : [.. new[] { $"orders_log_{writtenThere}", $"orders_log_{eventDay}" }.Order(StringComparer.Ordinal)];
        Assert.Equal(expected, (created ?? "").Split(',').Select(t => t.Split('=')[0]));
        await using NpgsqlCommand byColumnRow = tables.CreateCommand($"select count(*) from orders_log_{writtenThere} where id = 1");
        Assert.Equal(eventDay == writtenThere ? 2L : 1L, await byColumnRow.ExecuteScalarAsync(Token));
        await using NpgsqlCommand cubeRow = tables.CreateCommand($"select count(*) from orders_{eventDay} where id = 1"); // the batch's end, moments after the event
        Assert.Equal(1L, await cubeRow.ExecuteScalarAsync(Token));
    }

    [Fact]
    public async Task Status_OfARegisteredConsumer_ShowsThatEventsArePending()
    {
        string source = await fixture.DatabaseAsync(["orders"], Token);
        await Tool.RunAsync(["pgq", "register", "--source", source, "--queue", "orders", "--consumer", "watcher"]);
        await ProduceAsync(source, "orders", 5);

        (int exitCode, string output, _) = await Tool.RunAsync(["pgq", "status", "--source", source, "--queue", "orders", "--consumer", "watcher"]);
        (int missing, string missingOutput, _) = await Tool.RunAsync(["pgq", "status", "--source", source, "--queue", "orders", "--consumer", "nobody"]);

        Assert.Equal(0, exitCode);
        Assert.Contains("consumer watcher of queue orders: lag", output, StringComparison.Ordinal);
        Assert.Matches(@"open batch none, pending events [1-9]\d*", output); // PgQ's estimate, from its event sequence
        Assert.Equal(1, missing);
        Assert.Contains("not registered", missingOutput, StringComparison.Ordinal);

        (int jsonExit, string json, _) = await Tool.RunAsync(["pgq", "status", "--source", source, "--queue", "orders", "--consumer", "watcher", "--json"]);
        Assert.Equal(0, jsonExit);
        using System.Text.Json.JsonDocument report = System.Text.Json.JsonDocument.Parse(json);
        Assert.True(report.RootElement.GetProperty("registered").GetBoolean());
        Assert.Equal("watcher", report.RootElement.GetProperty("consumer").GetString());
        Assert.True(report.RootElement.GetProperty("pendingEvents").GetInt64() >= 1);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, report.RootElement.GetProperty("currentBatch").ValueKind);
    }

    // Starts the tool in several processes at once and waits (90 s at most) for each to exit.
    private static async Task<List<(int ExitCode, string Error)>> RunTogetherAsync(string[] args, int processes)
    {
        var tools = Enumerable.Range(0, processes).Select(_ => StartTool(args)).ToList();
        var exits = new List<(int ExitCode, string Error)>();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Token);
        deadline.CancelAfter(TimeSpan.FromSeconds(90));
        foreach (Process tool in tools)
        {
            using (tool)
            {
                Task<string> error = tool.StandardError.ReadToEndAsync(deadline.Token);
                Task<string> output = tool.StandardOutput.ReadToEndAsync(deadline.Token);
                await tool.WaitForExitAsync(deadline.Token);
                TestContext.Current.TestOutputHelper?.WriteLine($"process {tool.Id}: exit {tool.ExitCode}\n{await output}");
                exits.Add((tool.ExitCode, await error));
            }
        }

        return exits;
    }

    // A source database whose table logs its rows into queue "rows" (pgq.logutriga) with the consumers registered
    // first, and a target database; both set up by their SQL, the queue ticked.
    private async Task<(string Source, string Target)> LoggedRowsAsync(string[] consumers, string sourceSql, string targetSql)
    {
        string source = await fixture.DatabaseAsync(["rows"], Token);
        string target = await fixture.DatabaseAsync([], Token);
        foreach (string consumer in consumers)
        {
            await Tool.RunAsync(["pgq", "register", "--source", source, "--queue", "rows", "--consumer", consumer]);
        }

        await ExecuteAsync(source, sourceSql);
        await ExecuteAsync(target, targetSql);
        await TickAsync(source, "rows");
        return (source, target);
    }

    private static Process StartTool(string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in (string[])[Path.Combine(AppContext.BaseDirectory, "PlProxy.Client.Tool.dll"), .. args])
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }

    // Every distinct value plproxy_pgq.completed_tick takes for the target's consumer, in the order seen, until cancelled.
    private static async Task<List<long>> WatchTicksAsync(string database, CancellationToken cancellationToken)
    {
        var seen = new List<long>();
        await using var target = NpgsqlDataSource.Create(database);
        await using NpgsqlCommand select = target.CreateCommand(
            "select last_tick_id from plproxy_pgq.completed_tick where consumer_name = 'mover'");
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (await select.ExecuteScalarAsync(cancellationToken) is long tick && (seen.Count == 0 || seen[^1] != tick))
                {
                    seen.Add(tick);
                }

                await Task.Delay(10, cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                // Not created yet.
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return seen;
    }

    // What SkyTools' table_dispatcher writes for each event: python-skytools' db_urldecode of its data (the reference),
    // the columns id, total and note as text, NULL as \N.
    private static async Task<List<string>> SkyToolsRowsAsync(IEnumerable<string> data)
    {
        var start = new ProcessStartInfo("/usr/bin/python3", ["-c", """
            import sys, skytools
            for line in sys.stdin.read().splitlines():
                row = skytools.db_urldecode(line)
                print('|'.join('\\N' if row.get(c) is None else row[c] for c in ('id', 'total', 'note')))
            """])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PYTHONIOENCODING"] = "utf-8";
        using Process python = Process.Start(start)!;
        await python.StandardInput.WriteAsync(string.Join('\n', data));
        python.StandardInput.Close();
        string output = await python.StandardOutput.ReadToEndAsync(Token);
        string errors = await python.StandardError.ReadToEndAsync(Token);
        await python.WaitForExitAsync(Token);
        Assert.True(python.ExitCode == 0, $"python3-skytools failed: {errors}");
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    private static async Task<List<string>> ListAsync(string database, string sql)
    {
        await using var source = NpgsqlDataSource.Create(database);
        await using NpgsqlCommand select = source.CreateCommand(sql);
        await using NpgsqlDataReader reader = await select.ExecuteReaderAsync(Token);
        var rows = new List<string>();
        while (await reader.ReadAsync(Token))
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }

    private static async Task<T> ScalarAsync<T>(string database, string sql)
    {
        await using var source = NpgsqlDataSource.Create(database);
        await using NpgsqlCommand select = source.CreateCommand(sql);
        return (T)(await select.ExecuteScalarAsync(Token))!;
    }

    private static async Task<string?> RowsAsync(string database, string table)
    {
        await using var source = NpgsqlDataSource.Create(database);
        await using NpgsqlCommand select = source.CreateCommand($"select string_agg(id || ':' || total || ':' || coalesce(note, ''), '|' order by id) from {table}");
        return await select.ExecuteScalarAsync(Token) as string;
    }

    // Events with every field set, committed and ticked.
    private static async Task<List<PgQEvent>> ProduceAsync(string database, string queue, int count, string prefix = "")
    {
        await using var source = NpgsqlDataSource.Create(database);
        await using NpgsqlCommand insert = source.CreateCommand($"""
            select count(pgq.insert_event('{queue}', 'type' || (g % 3), '{prefix}data ' || g, 'x1-' || g, case when g % 2 = 0 then null else 'x2' end, 'x3 é', null))
            from generate_series(1, {count}) g
            """);
        await insert.ExecuteNonQueryAsync(Token);
        await TickAsync(database, queue);
        return [.. Enumerable.Range(1, count).Select(g => new PgQEvent($"type{g % 3}", $"{prefix}data {g}") { Extra1 = $"x1-{g}", Extra2 = g % 2 == 0 ? null : "x2", Extra3 = "x3 é" })];
    }

    // The events in all of the database's queues.
    private static async Task<long> EventsAsync(string database)
    {
        await using var source = NpgsqlDataSource.Create(database);
        return (long)(await source.CreateCommand("select count(*) from pgq.event_template").ExecuteScalarAsync(Token))!;
    }

    // Waits (60 s at most) until the database's queues hold at least `count` events.
    private static async Task WaitForEventsAsync(string database, int count)
    {
        await using var source = NpgsqlDataSource.Create(database);
        await using NpgsqlCommand select = source.CreateCommand("select count(*) from pgq.event_template");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Token);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        while ((long)(await select.ExecuteScalarAsync(deadline.Token))! < count)
        {
            await Task.Delay(100, deadline.Token);
        }
    }

    private static async Task ExecuteAsync(string database, string sql)
    {
        await using var source = NpgsqlDataSource.Create(database);
        await using NpgsqlCommand command = source.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(Token);
    }

    private static async Task TickAsync(string database, string queue)
    {
        await using var source = NpgsqlDataSource.Create(database);
        await using NpgsqlCommand tick = source.CreateCommand($"select pgq.force_tick('{queue}')");
        await tick.ExecuteNonQueryAsync(Token);
        await using NpgsqlCommand ticker = source.CreateCommand($"select pgq.ticker('{queue}')");
        await ticker.ExecuteNonQueryAsync(Token);
    }

    // Every event of a queue, through a consumer registered before the queue's first tick.
    private static async Task<List<PgQBatchEvent>> ConsumeAsync(string database, string queue, string consumerName = "reader")
    {
        await using var source = NpgsqlDataSource.Create(database);
        var consumer = new PgQConsumer(source, queue, consumerName);
        if (await consumer.RegisterAsync(Token))
        {
            await using NpgsqlCommand rewind = source.CreateCommand(
                $"update pgq.subscription set sub_last_tick = (select min(tick_id) from pgq.tick t join pgq.queue q on q.queue_id = t.tick_queue where q.queue_name = '{queue}') where sub_queue = (select queue_id from pgq.queue where queue_name = '{queue}') and sub_consumer = (select co_id from pgq.consumer where co_name = '{consumerName}')");
            if (consumerName == "reader")
            {
                await rewind.ExecuteNonQueryAsync(Token); // a reader for the test: from the queue's first tick
            }
        }

        await TickAsync(database, queue);
        var events = new List<PgQBatchEvent>();
        while (await consumer.ProcessBatchAsync((_, e, _) => { events.Add(e); return Task.CompletedTask; }, Token) is not null)
        {
        }

        return events;
    }
}

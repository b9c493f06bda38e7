using System.CommandLine;
using Npgsql;
using PlProxy.Client.Connections;
using PlProxy.Client.PgQ;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.PgQ;

/// <summary>
/// <c>plproxy pgq</c>: SkyTools' queue tools (queue mover, queue splitter) and consumer registration. Each mover runs
/// as a long-lived consumer, or with <c>--once</c> processes every batch ready now and exits; each applies a batch into
/// its target exactly once (the batch's tick is committed with the events it wrote).
/// </summary>
internal static class PgQCommands
{
    public static Command Create() => new("pgq", "PgQ queues: move or split events into other queues, register consumers, show their status.")
    {
        Move(), Split(), DispatchTable(), DispatchCube(), Register(), Unregister(), Status(),
    };

    private static Command Move()
    {
        var options = new QueueOptions();
        var target = new Option<string>("--target") { Description = "The database that receives the events", Required = true };
        var targetQueue = new Option<string>("--target-queue") { Description = "The queue there (default: the source queue's name)" };
        var once = new Option<bool>("--once") { Description = "Process every batch ready now, then exit" };
        var command = new Command("move", "Queue mover: copies every event (type, data, extra1-4, time) into a queue of another database.") { target, targetQueue, once };
        options.AddTo(command);
        command.SetAction((result, cancellationToken) => Verb.RunAsync(result, "pgq move", output =>
        {
            string queue = result.GetValue(options.Queue)!;
            string into = result.GetValue(targetQueue) ?? queue;
            return RunAsync(result, options, result.GetValue(target)!, into, result.GetValue(once), "move", output, (consumer, database, ct) =>
                consumer.ProcessBatchChunksIntoAsync(database, (_, events, connection, token) => QueueWriter.CopyAsync(connection, into, events, token), ct), cancellationToken);
        }));
        return command;
    }

    private static Command Split()
    {
        var options = new QueueOptions();
        var target = new Option<string>("--target") { Description = "The database whose queues receive the events", Required = true };
        var field = new Option<string>("--queue-field") { Description = "The event field that names each event's target queue", DefaultValueFactory = _ => "extra1" };
        field.AcceptOnlyFromAmong("type", "extra1", "extra2", "extra3", "extra4");
        var once = new Option<bool>("--once") { Description = "Process every batch ready now, then exit" };
        var command = new Command("split", "Queue splitter: each event into the target queue its field names (logutriga's extra1: the table).") { target, field, once };
        options.AddTo(command);
        command.SetAction((result, cancellationToken) => Verb.RunAsync(result, "pgq split", output =>
        {
            string name = result.GetValue(field)!;
            string QueueOf(PgQBatchEvent e) => name switch { "type" => e.Type, "extra2" => e.Extra2, "extra3" => e.Extra3, "extra4" => e.Extra4, _ => e.Extra1 } is { Length: > 0 } queue
                ? queue
                : throw new InvalidOperationException($"Event {e.Id} has no {name}: it names no target queue.");
            return RunAsync(result, options, result.GetValue(target)!, null, result.GetValue(once), "split", output, (consumer, database, ct) =>
                consumer.ProcessBatchChunksIntoAsync(database, async (_, events, connection, token) =>
                {
                    // One COPY per target queue of the chunk, each queue's events in their order (as SkyTools' splitter).
                    foreach (IGrouping<string, PgQBatchEvent> queue in events.GroupBy(QueueOf))
                    {
                        await QueueWriter.CopyAsync(connection, queue.Key, queue, token).ConfigureAwait(false);
                    }
                }, ct), cancellationToken);
        }));
        return command;
    }

    private static Command DispatchTable()
    {
        var options = new QueueOptions();
        var target = new Option<string>("--target") { Description = "The database with the parent table", Required = true };
        var destTable = new Option<string>("--dest-table") { Description = "The parent table; rows go to <table>_YYYY_MM_DD (or _YYYY_MM)", Required = true };
        var partField = new Option<string>("--part-field") { Description = "The row's column whose date picks the table" };
        var partBy = new Option<string>("--part-by") { Description = "'event-time': the event's time picks the table (the default without --part-field)" };
        partBy.AcceptOnlyFromAmong("event-time");
        var period = new Option<string>("--period") { Description = "One table per 'day' or per 'month'", DefaultValueFactory = _ => "day" };
        period.AcceptOnlyFromAmong("day", "month");
        var fields = new Option<string>("--fields") { Description = "The columns to keep, optionally renamed: \"a, b:newname\" (default: all)" };
        var eventTypes = new Option<string>("--event-types") { Description = "Only these operations, e.g. \"I\" or \"I,U\" (logutriga's I, U, D: the type up to its ':'); default: every event, as SkyTools writes them" };
        var template = new Option<string>("--part-template") { Description = "SQL creating a period table (_DEST_TABLE, _PARENT); default: create table _DEST_TABLE (like _PARENT including all)" };
        var once = new Option<bool>("--once") { Description = "Process every batch ready now, then exit" };
        var command = new Command("dispatch-table", "Table dispatcher: every event's row (logutriga's inserts, updates and deletes alike) into per-day or per-month tables of a parent table, created on demand.")
        {
            target, destTable, partField, partBy, period, fields, eventTypes, template, once,
        };
        options.AddTo(command);
        command.Validators.Add(result =>
        {
            if (result.GetResult(partField) is not null && result.GetResult(partBy) is not null)
            {
                result.AddError("Give --part-field or --part-by, not both.");
            }
        });
        command.SetAction((result, cancellationToken) => Verb.RunAsync(result, "pgq dispatch-table", output =>
        {
            var dispatcher = new TableDispatcher(result.GetValue(destTable)!, result.GetValue(partField), result.GetValue(period) == "month",
                TableDispatcher.Fields(result.GetValue(fields)), result.GetValue(template), TableDispatcher.EventTypes(result.GetValue(eventTypes)));
            return RunAsync(result, options, result.GetValue(target)!, null, result.GetValue(once), "dispatch-table", output,
                (consumer, database, ct) => consumer.ProcessBatchIntoAsync(database, dispatcher.ApplyAsync, ct), cancellationToken);
        }));
        return command;
    }

    private static Command DispatchCube()
    {
        var options = new QueueOptions();
        var target = new Option<string>("--target") { Description = "The database with the events' tables", Required = true };
        var mode = new Option<string>("--mode") { Description = "'keep-latest': each primary key's latest version; 'keep-all': every version, no deletes", DefaultValueFactory = _ => "keep-latest" };
        mode.AcceptOnlyFromAmong("keep-latest", "keep-all");
        var dateFormat = new Option<string>("--date-format") { Description = "The batch date's suffix (YYYY, MM, DD); empty: the table itself", DefaultValueFactory = _ => "YYYY_MM_DD" };
        var once = new Option<bool>("--once") { Description = "Process every batch ready now, then exit" };
        var command = new Command("dispatch-cube", "Cube dispatcher: logutriga's rows into per-batch-day tables named after each event's table.") { target, mode, dateFormat, once };
        options.AddTo(command);
        command.SetAction((result, cancellationToken) => Verb.RunAsync(result, "pgq dispatch-cube", output =>
        {
            var dispatcher = new CubeDispatcher(result.GetValue(mode) == "keep-latest", result.GetValue(dateFormat) ?? "");
            return RunAsync(result, options, result.GetValue(target)!, null, result.GetValue(once), "dispatch-cube", output,
                (consumer, database, ct) => consumer.ProcessBatchIntoAsync(database, dispatcher.ApplyAsync, ct), cancellationToken);
        }));
        return command;
    }

    private static Command Register()
    {
        var options = new QueueOptions();
        var command = new Command("register", "Registers a consumer: PgQ delivers it the events inserted from now on.");
        options.AddTo(command);
        command.SetAction((result, cancellationToken) => Verb.RunAsync(result, "pgq register", async output =>
        {
            await using NpgsqlDataSource source = NpgsqlDataSource.Create(ConnectionStrings.ToNpgsql(result.GetValue(options.Source)!));
            var consumer = new PgQConsumer(source, result.GetValue(options.Queue)!, result.GetValue(options.Consumer)!);
            bool registered = await consumer.RegisterAsync(cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"plproxy pgq register: consumer {consumer.Consumer} of queue {consumer.Queue} {(registered ? "registered" : "was registered already")}").ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    private static Command Unregister()
    {
        var options = new QueueOptions();
        var command = new Command("unregister", "Unregisters a consumer: its position and open batch are dropped.");
        options.AddTo(command);
        command.SetAction((result, cancellationToken) => Verb.RunAsync(result, "pgq unregister", async output =>
        {
            await using NpgsqlDataSource source = NpgsqlDataSource.Create(ConnectionStrings.ToNpgsql(result.GetValue(options.Source)!));
            var consumer = new PgQConsumer(source, result.GetValue(options.Queue)!, result.GetValue(options.Consumer)!);
            bool was = await consumer.UnregisterAsync(cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"plproxy pgq unregister: consumer {consumer.Consumer} of queue {consumer.Queue} {(was ? "unregistered" : "was not registered")}").ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    private static Command Status()
    {
        var options = new QueueOptions();
        var command = new Command("status", "Shows a consumer's lag, last tick, open batch and pending events.");
        options.AddTo(command);
        command.SetAction((result, cancellationToken) => Verb.RunAsync(result, "pgq status", async output =>
        {
            await using NpgsqlDataSource source = NpgsqlDataSource.Create(ConnectionStrings.ToNpgsql(result.GetValue(options.Source)!));
            var consumer = new PgQConsumer(source, result.GetValue(options.Queue)!, result.GetValue(options.Consumer)!);
            PgQConsumerInfo? info = await consumer.InfoAsync(cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(info is null
                ? $"consumer {consumer.Consumer} of queue {consumer.Queue}: not registered"
                : $"consumer {consumer.Consumer} of queue {consumer.Queue}: lag {info.Lag}, last tick {info.LastTick}, open batch {info.CurrentBatch?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, pending events {info.PendingEvents}").ConfigureAwait(false);
            return info is null ? 1 : 0;
        }));
        return command;
    }

    // Runs a mover: checks that its queues exist, registers its consumer if needed (saying so), then has it apply
    // batches into the target exactly once.
    private static async Task<int> RunAsync(
        ParseResult result, QueueOptions options, string target, string? targetQueue, bool once, string verb, TextWriter output,
        Func<PgQConsumer, NpgsqlDataSource, CancellationToken, Task<PgQBatchResult?>> processBatch, CancellationToken cancellationToken)
    {
        await using NpgsqlDataSource source = NpgsqlDataSource.Create(ConnectionStrings.ToNpgsql(result.GetValue(options.Source)!));
        await using NpgsqlDataSource into = NpgsqlDataSource.Create(ConnectionStrings.ToNpgsql(target));
        var consumer = new PgQConsumer(source, result.GetValue(options.Queue)!, result.GetValue(options.Consumer)!);
        await QueueWriter.RequireQueueAsync(source, consumer.Queue, "source", cancellationToken).ConfigureAwait(false);
        if (targetQueue is not null)
        {
            await QueueWriter.RequireQueueAsync(into, targetQueue, "target", cancellationToken).ConfigureAwait(false);
        }

        if (await consumer.RegisterAsync(cancellationToken).ConfigureAwait(false))
        {
            await output.WriteLineAsync($"plproxy pgq {verb}: consumer {consumer.Consumer} registered on queue {consumer.Queue}; PgQ delivers it the events inserted from now on").ConfigureAwait(false);
        }

        long events = 0, batches = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            PgQBatchResult? batch = await processBatch(consumer, into, cancellationToken).ConfigureAwait(false);
            if (batch is null)
            {
                if (once)
                {
                    break;
                }

                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                continue;
            }

            events += batch.Events;
            batches++;
            await output.WriteLineAsync($"plproxy pgq {verb}: batch {batch.BatchId} (tick {batch.TickId}): {batch.Events} events").ConfigureAwait(false);
        }

        await output.WriteLineAsync($"plproxy pgq {verb}: {events} events in {batches} batches").ConfigureAwait(false);
        return 0;
    }

    /// <summary>The options every pgq verb takes.</summary>
    private sealed class QueueOptions
    {
        public Option<string> Source { get; } = new("--source") { Description = "The queue's database (Npgsql or libpq form)", Required = true };

        public Option<string> Queue { get; } = new("--queue") { Description = "The queue", Required = true };

        public Option<string> Consumer { get; } = new("--consumer") { Description = "The consumer's name", Required = true };

        public void AddTo(Command command)
        {
            command.Options.Insert(0, Source);
            command.Options.Insert(1, Queue);
            command.Options.Insert(2, Consumer);
        }
    }
}

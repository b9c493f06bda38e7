using System.CommandLine;
using PlProxy.Client.PgQ;
using PlProxy.Client.Tool.PgQ;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Commands;

/// <summary><c>plproxy pgq split</c>: SkyTools' queue splitter.</summary>
internal static class PgQSplitCommand
{
    public static Command Create()
    {
        var options = new MoverOptions();
        var target = new Option<string>("--target") { Description = "The database whose queues receive the events", Required = true };
        var field = new Option<string>("--queue-field") { Description = "The event field that names each event's target queue", DefaultValueFactory = _ => "extra1" };
        field.AcceptOnlyFromAmong("type", "extra1", "extra2", "extra3", "extra4");
        var command = new Command("split", "Queue splitter: each event into the target queue its field names (logutriga's extra1: the table).") { target, field };
        options.AddTo(command);
        command.SetAction((result, cancellationToken) => Verb.RunAsync(result, "pgq split", output =>
        {
            string name = result.GetValue(field)!;
            string QueueOf(PgQBatchEvent e) => name switch { "type" => e.Type, "extra2" => e.Extra2, "extra3" => e.Extra3, "extra4" => e.Extra4, _ => e.Extra1 } is { Length: > 0 } queue
                ? queue
                : throw new ToolRefusal($"Event {e.Id} has no {name}: it names no target queue.");
            return PgQVerb.RunAsync(result, options, result.GetValue(target)!, null, "split", output, (consumer, database, sourceQueue, ct) =>
                consumer.ProcessBatchChunksIntoAsync(database, async (_, events, connection, token) =>
                {
                    // One COPY per target queue of the chunk, each queue's events in their order (as SkyTools' splitter).
                    foreach (IGrouping<string, PgQBatchEvent> queue in events.GroupBy(QueueOf))
                    {
                        if (queue.Key == sourceQueue)
                        {
                            throw QueueWriter.IntoItself(queue.Key); // the batch stays open: nothing was applied
                        }

                        await QueueWriter.CopyAsync(connection, queue.Key, queue, token).ConfigureAwait(false);
                    }
                }, ct), cancellationToken);
        }));
        return command;
    }
}

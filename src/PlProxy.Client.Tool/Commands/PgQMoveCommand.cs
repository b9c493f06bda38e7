using System.CommandLine;
using PlProxy.Client.Tool.PgQ;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Commands;

/// <summary><c>plproxy pgq move</c>: SkyTools' queue mover.</summary>
internal static class PgQMoveCommand
{
    public static Command Create()
    {
        var options = new MoverOptions();
        var target = new Option<string>("--target") { Description = "The database that receives the events", Required = true };
        var targetQueue = new Option<string>("--target-queue") { Description = "The queue there (default: the source queue's name)" };
        var command = new Command("move", "Queue mover: copies every event (type, data, extra1-4, time) into a queue of another database.") { target, targetQueue };
        options.AddTo(command);
        command.SetAction((result, cancellationToken) => Verb.RunAsync(result, "pgq move", output =>
        {
            string queue = result.GetValue(options.Queue)!;
            string into = result.GetValue(targetQueue) ?? queue;
            return PgQVerb.RunAsync(result, options, result.GetValue(target)!, into, "move", output, (consumer, database, _, ct) =>
                consumer.ProcessBatchChunksIntoAsync(database, (_, events, connection, token) => QueueWriter.CopyAsync(connection, into, events, token), ct), cancellationToken);
        }));
        return command;
    }
}

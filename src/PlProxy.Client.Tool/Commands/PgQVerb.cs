using System.CommandLine;
using Npgsql;
using PlProxy.Client.Connections;
using PlProxy.Client.PgQ;
using PlProxy.Client.Tool.PgQ;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Commands;

/// <summary>What the pgq verbs share: their options and how a mover runs (its queues checked, its consumer registered, batches applied exactly once).</summary>
internal static class PgQVerb
{
    /// <summary>
    /// A verb on one consumer (register, unregister, status): the queue options, and an action that hands
    /// <paramref name="run"/> the consumer on the source database.
    /// </summary>
    public static Command ConsumerCommand(string name, string description, Func<PgQConsumer, ParseResult, ToolOutput, CancellationToken, Task<int>> run)
    {
        var options = new QueueOptions();
        var command = new Command(name, description);
        options.AddTo(command);
        command.SetAction((result, cancellationToken) => Verb.RunAsync(result, $"pgq {name}", async output =>
        {
            await using NpgsqlDataSource source = ToolDatabase.Create(ConnectionStrings.ToNpgsql(result.GetValue(options.Source)!));
            return await run(options.Consumer(result, source), result, output, cancellationToken).ConfigureAwait(false);
        }));
        return command;
    }

    // Runs a mover: checks that its queues exist, registers its consumer if needed (saying so), then has it apply
    // batches into the target exactly once. Long-lived (without --once), it outlives a database's restart as SkyTools'
    // consumers do: a batch that fails on a database error is reported, and tried again after --exception-sleep.
    public static async Task<int> RunAsync(
        ParseResult result, MoverOptions options, string target, string? targetQueue, string verb, ToolOutput output,
        Func<PgQConsumer, NpgsqlDataSource, string?, CancellationToken, Task<PgQBatchResult?>> processBatch, CancellationToken cancellationToken)
    {
        bool once = result.GetValue(options.Once);
        TimeSpan exceptionSleep = TimeSpan.FromSeconds(result.GetValue(options.ExceptionSleep));
        await using NpgsqlDataSource source = ToolDatabase.Create(ConnectionStrings.ToNpgsql(result.GetValue(options.Source)!));
        await using NpgsqlDataSource into = ToolDatabase.Create(ConnectionStrings.ToNpgsql(target));
        PgQConsumer consumer = options.Consumer(result, source);
        string? sourceQueueOnTarget; // the queue read, when the target is the source's database: no event may go back into it
        while (true)
        {
            try
            {
                await QueueWriter.RequireQueueAsync(source, consumer.Queue, "source", cancellationToken).ConfigureAwait(false);
                if (targetQueue is not null)
                {
                    await QueueWriter.RequireQueueAsync(into, targetQueue, "target", cancellationToken).ConfigureAwait(false);
                }

                sourceQueueOnTarget = await QueueWriter.IsSameDatabaseAsync(source, into, cancellationToken).ConfigureAwait(false) ? consumer.Queue : null;
                if (targetQueue is not null && targetQueue == sourceQueueOnTarget)
                {
                    throw QueueWriter.IntoItself(targetQueue);
                }

                if (await consumer.RegisterAsync(cancellationToken).ConfigureAwait(false))
                {
                    await output.WriteLineAsync($"plproxy pgq {verb}: consumer {consumer.Consumer} registered on queue {consumer.Queue}; PgQ delivers it the events inserted from now on").ConfigureAwait(false);
                }

                break;
            }
            catch (Exception e) when (!once && IsDatabaseFailure(e, cancellationToken))
            {
                await TryAgainLaterAsync(e, verb, exceptionSleep, output, cancellationToken).ConfigureAwait(false); // a database not up yet
            }
        }

        long events = 0, batches = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            PgQBatchResult? batch;
            try
            {
                batch = await processBatch(consumer, into, sourceQueueOnTarget, cancellationToken).ConfigureAwait(false);
            }
            catch (PgQLostPositionException e)
            {
                throw new ToolRefusal(e.Message, e); // nothing was applied; trying again would not help
            }
            catch (Exception e) when (!once && IsDatabaseFailure(e, cancellationToken))
            {
                // The batch is still open on the source, and the target's recorded tick says whether it was applied:
                // trying again delivers each event once.
                await TryAgainLaterAsync(e, verb, exceptionSleep, output, cancellationToken).ConfigureAwait(false);
                continue;
            }

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

    private static bool IsDatabaseFailure(Exception error, CancellationToken cancellationToken) =>
        error is NpgsqlException or TimeoutException or IOException && !cancellationToken.IsCancellationRequested;

    // What a long-lived verb does with a database's failure, as SkyTools' consumers do: says so, waits, goes on.
    private static async Task TryAgainLaterAsync(Exception error, string verb, TimeSpan exceptionSleep, ToolOutput output, CancellationToken cancellationToken)
    {
        await (output.Errors ?? output).WriteLineAsync(
            $"plproxy pgq {verb}: {Verb.Sentence(error).TrimEnd('.')}; trying again in {exceptionSleep.TotalSeconds:0.###} s").ConfigureAwait(false);
        await Task.Delay(exceptionSleep, cancellationToken).ConfigureAwait(false);
    }
}

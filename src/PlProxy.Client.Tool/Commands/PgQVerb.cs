using System.CommandLine;
using Npgsql;
using PlProxy.Client.Connections;
using PlProxy.Client.PgQ;
using PlProxy.Client.Tool.PgQ;

namespace PlProxy.Client.Tool.Commands;

/// <summary>What the pgq verbs share: their options and how a mover runs (its queues checked, its consumer registered, batches applied exactly once).</summary>
internal static class PgQVerb
{
    // Runs a mover: checks that its queues exist, registers its consumer if needed (saying so), then has it apply
    // batches into the target exactly once.
    public static async Task<int> RunAsync(
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
    public sealed class QueueOptions
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

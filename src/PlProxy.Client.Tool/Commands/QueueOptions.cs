using System.CommandLine;
using Npgsql;
using PlProxy.Client.PgQ;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Commands;

/// <summary>The options every pgq verb takes: the queue's database, the queue and the consumer.</summary>
internal class QueueOptions : VerbOptions
{
    public Option<string> Source { get; } = new("--source") { Description = "The queue's database (Npgsql or libpq form)", Required = true };

    public Option<string> Queue { get; } = new("--queue") { Description = "The queue", Required = true };

    public Option<string> ConsumerName { get; } = new("--consumer") { Description = "The consumer's name", Required = true };

    protected override IEnumerable<Option> Leading => [Source, Queue, ConsumerName];

    /// <summary>The consumer the options name, on <paramref name="source"/>.</summary>
    public PgQConsumer Consumer(ParseResult result, NpgsqlDataSource source) =>
        new(source, result.GetValue(Queue)!, result.GetValue(ConsumerName)!);
}

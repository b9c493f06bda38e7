using System.CommandLine;
using Npgsql;
using PlProxy.Client.Connections;
using PlProxy.Client.PgQ;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Commands;

/// <summary><c>plproxy pgq status</c>: a consumer's lag, position and pending events.</summary>
internal static class PgQStatusCommand
{
    public static Command Create()
    {
        var options = new PgQVerb.QueueOptions();
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
}

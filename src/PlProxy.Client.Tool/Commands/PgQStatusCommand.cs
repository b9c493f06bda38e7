using System.CommandLine;
using PlProxy.Client.PgQ;

namespace PlProxy.Client.Tool.Commands;

/// <summary><c>plproxy pgq status</c>: a consumer's lag, position and pending events.</summary>
internal static class PgQStatusCommand
{
    public static Command Create() => PgQVerb.ConsumerCommand("status", "Shows a consumer's lag, last tick, open batch and pending events.", async (consumer, output, cancellationToken) =>
        {
            PgQConsumerInfo? info = await consumer.InfoAsync(cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(info is null
                ? $"consumer {consumer.Consumer} of queue {consumer.Queue}: not registered"
                : $"consumer {consumer.Consumer} of queue {consumer.Queue}: lag {info.Lag}, last tick {info.LastTick}, open batch {info.CurrentBatch?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, pending events {info.PendingEvents}").ConfigureAwait(false);
            return info is null ? 1 : 0;
        });
}

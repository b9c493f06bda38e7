using System.CommandLine;
using PlProxy.Client.PgQ;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Commands;

/// <summary><c>plproxy pgq status</c>: a consumer's lag, position and pending events.</summary>
internal static class PgQStatusCommand
{
    public static Command Create()
    {
        var json = JsonReport.Option();
        Command status = PgQVerb.ConsumerCommand("status", "Shows a consumer's lag, last tick, open batch and pending events.", async (consumer, result, output, cancellationToken) =>
        {
            PgQConsumerInfo? info = await consumer.InfoAsync(cancellationToken).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                await JsonReport.WriteAsync(output, w =>
                {
                    w.WriteStartObject();
                    w.WriteString("queue", consumer.Queue);
                    w.WriteString("consumer", consumer.Consumer);
                    w.WriteBoolean("registered", info is not null);
                    if (info is not null)
                    {
                        if (info.Lag is { } lag)
                        {
                            w.WriteNumber("lagSeconds", lag.TotalSeconds);
                        }
                        else
                        {
                            w.WriteNull("lagSeconds");
                        }

                        w.WriteNumber("lastTick", info.LastTick);
                        if (info.CurrentBatch is { } batch)
                        {
                            w.WriteNumber("currentBatch", batch);
                        }
                        else
                        {
                            w.WriteNull("currentBatch");
                        }

                        if (info.PendingEvents is { } pending)
                        {
                            w.WriteNumber("pendingEvents", pending);
                        }
                        else
                        {
                            w.WriteNull("pendingEvents");
                        }
                    }

                    w.WriteEndObject();
                }).ConfigureAwait(false);
                return info is null ? 1 : 0;
            }

            await output.WriteLineAsync(info is null
                ? $"consumer {consumer.Consumer} of queue {consumer.Queue}: not registered"
                : $"consumer {consumer.Consumer} of queue {consumer.Queue}: lag {info.Lag}, last tick {info.LastTick}, open batch {info.CurrentBatch?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, pending events {info.PendingEvents}").ConfigureAwait(false);
            return info is null ? 1 : 0;
        });
        status.Options.Add(json);
        return status;
    }
}

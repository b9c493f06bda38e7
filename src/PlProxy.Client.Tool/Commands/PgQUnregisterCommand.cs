using System.CommandLine;

namespace PlProxy.Client.Tool.Commands;

/// <summary><c>plproxy pgq unregister</c>: unregisters a consumer.</summary>
internal static class PgQUnregisterCommand
{
    public static Command Create() => PgQVerb.ConsumerCommand("unregister", "Unregisters a consumer: its position and open batch are dropped.", async (consumer, _, output, cancellationToken) =>
        {
            bool was = await consumer.UnregisterAsync(cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"plproxy pgq unregister: consumer {consumer.Consumer} of queue {consumer.Queue} {(was ? "unregistered" : "was not registered")}").ConfigureAwait(false);
            return 0;
        });
}

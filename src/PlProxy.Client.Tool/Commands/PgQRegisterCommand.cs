using System.CommandLine;

namespace PlProxy.Client.Tool.Commands;

/// <summary><c>plproxy pgq register</c>: registers a consumer.</summary>
internal static class PgQRegisterCommand
{
    public static Command Create() => PgQVerb.ConsumerCommand("register", "Registers a consumer: PgQ delivers it the events inserted from now on.", async (consumer, _, output, cancellationToken) =>
        {
            bool registered = await consumer.RegisterAsync(cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"plproxy pgq register: consumer {consumer.Consumer} of queue {consumer.Queue} {(registered ? "registered" : "was registered already")}").ConfigureAwait(false);
            return 0;
        });
}

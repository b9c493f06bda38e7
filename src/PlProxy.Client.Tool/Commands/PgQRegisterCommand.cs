using System.CommandLine;
using Npgsql;
using PlProxy.Client.Connections;
using PlProxy.Client.PgQ;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Commands;

/// <summary><c>plproxy pgq register</c>: registers a consumer.</summary>
internal static class PgQRegisterCommand
{
    public static Command Create()
    {
        var options = new PgQVerb.QueueOptions();
        var command = new Command("register", "Registers a consumer: PgQ delivers it the events inserted from now on.");
        options.AddTo(command);
        command.SetAction((result, cancellationToken) => Verb.RunAsync(result, "pgq register", async output =>
        {
            await using NpgsqlDataSource source = NpgsqlDataSource.Create(ConnectionStrings.ToNpgsql(result.GetValue(options.Source)!));
            var consumer = new PgQConsumer(source, result.GetValue(options.Queue)!, result.GetValue(options.Consumer)!);
            bool registered = await consumer.RegisterAsync(cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"plproxy pgq register: consumer {consumer.Consumer} of queue {consumer.Queue} {(registered ? "registered" : "was registered already")}").ConfigureAwait(false);
            return 0;
        }));
        return command;
    }
}

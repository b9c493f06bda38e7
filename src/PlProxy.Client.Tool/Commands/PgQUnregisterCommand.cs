using System.CommandLine;
using Npgsql;
using PlProxy.Client.Connections;
using PlProxy.Client.PgQ;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Commands;

/// <summary><c>plproxy pgq unregister</c>: unregisters a consumer.</summary>
internal static class PgQUnregisterCommand
{
    public static Command Create()
    {
        var options = new PgQVerb.QueueOptions();
        var command = new Command("unregister", "Unregisters a consumer: its position and open batch are dropped.");
        options.AddTo(command);
        command.SetAction((result, cancellationToken) => Verb.RunAsync(result, "pgq unregister", async output =>
        {
            await using NpgsqlDataSource source = NpgsqlDataSource.Create(ConnectionStrings.ToNpgsql(result.GetValue(options.Source)!));
            var consumer = new PgQConsumer(source, result.GetValue(options.Queue)!, result.GetValue(options.Consumer)!);
            bool was = await consumer.UnregisterAsync(cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"plproxy pgq unregister: consumer {consumer.Consumer} of queue {consumer.Queue} {(was ? "unregistered" : "was not registered")}").ConfigureAwait(false);
            return 0;
        }));
        return command;
    }
}

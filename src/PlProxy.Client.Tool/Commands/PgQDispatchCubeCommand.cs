using System.CommandLine;
using Npgsql;
using PlProxy.Client.Connections;
using PlProxy.Client.Tool.PgQ;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Commands;

/// <summary><c>plproxy pgq dispatch-cube</c>: SkyTools' cube dispatcher.</summary>
internal static class PgQDispatchCubeCommand
{
    public static Command Create()
    {
        var options = new MoverOptions();
        var target = new Option<string>("--target") { Description = "The database with the events' tables", Required = true };
        var mode = new Option<string>("--mode") { Description = "'keep-latest': each primary key's latest version; 'keep-all': every version, no deletes", DefaultValueFactory = _ => "keep-latest" };
        mode.AcceptOnlyFromAmong("keep-latest", "keep-all");
        var dateFormat = new Option<string>("--date-format") { Description = "The batch date's suffix (YYYY, MM, DD); empty: the table itself", DefaultValueFactory = _ => "YYYY_MM_DD" };
        var command = new Command("dispatch-cube", "Cube dispatcher: logutriga's rows into per-batch-day tables named after each event's table.") { target, mode, dateFormat };
        options.AddTo(command);
        command.SetAction((result, cancellationToken) => Verb.RunAsync(result, "pgq dispatch-cube", async output =>
        {
            await using NpgsqlDataSource source = ToolDatabase.Create(ConnectionStrings.ToNpgsql(result.GetValue(options.Source)!));
            var dispatcher = new CubeDispatcher(result.GetValue(mode) == "keep-latest", result.GetValue(dateFormat) ?? "", new SourceTimeZone(source));
            return await PgQVerb.RunAsync(result, options, result.GetValue(target)!, null, "dispatch-cube", output,
                (consumer, database, _, ct) => consumer.ProcessBatchIntoAsync(database, dispatcher.ApplyAsync, ct), cancellationToken).ConfigureAwait(false);
        }));
        return command;
    }
}

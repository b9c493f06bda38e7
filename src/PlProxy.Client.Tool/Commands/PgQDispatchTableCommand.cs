using System.CommandLine;
using Npgsql;
using PlProxy.Client.Connections;
using PlProxy.Client.Tool.PgQ;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Commands;

/// <summary><c>plproxy pgq dispatch-table</c>: SkyTools' table dispatcher.</summary>
internal static class PgQDispatchTableCommand
{
    public static Command Create()
    {
        var options = new MoverOptions();
        var target = new Option<string>("--target") { Description = "The database with the parent table", Required = true };
        var destTable = new Option<string>("--dest-table") { Description = "The parent table; rows go to <table>_YYYY_MM_DD (or _YYYY_MM)", Required = true };
        var partField = new Option<string>("--part-field") { Description = "The row's column whose date picks the table" };
        var partBy = new Option<string>("--part-by") { Description = "'event-time': the event's time picks the table (the default without --part-field)" };
        partBy.AcceptOnlyFromAmong("event-time");
        var period = new Option<string>("--period") { Description = "One table per 'day' or per 'month'", DefaultValueFactory = _ => "day" };
        period.AcceptOnlyFromAmong("day", "month");
        var fields = new Option<string>("--fields") { Description = "The columns to keep, optionally renamed: \"a, b:newname\" (default: all)" };
        var eventTypes = new Option<string>("--event-types") { Description = "Only these operations, e.g. \"I\" or \"I,U\" (logutriga's I, U, D: the type up to its ':'); default: every event, as SkyTools writes them" };
        var template = new Option<string>("--part-template") { Description = "SQL creating a period table (_DEST_TABLE, _PARENT); default: create table _DEST_TABLE (like _PARENT including all)" };
        var command = new Command("dispatch-table", "Table dispatcher: every event's row (logutriga's inserts, updates and deletes alike) into per-day or per-month tables of a parent table, created on demand.")
        {
            target, destTable, partField, partBy, period, fields, eventTypes, template,
        };
        options.AddTo(command);
        command.Validators.Add(result =>
        {
            if (result.GetResult(partField) is not null && result.GetResult(partBy) is not null)
            {
                result.AddError("Give --part-field or --part-by, not both.");
            }
        });
        command.SetAction((result, cancellationToken) => Verb.RunAsync(result, "pgq dispatch-table", async output =>
        {
            // The event's time is told in the source's time zone, as SkyTools' dispatcher sees it: asked once, at the first event.
            await using NpgsqlDataSource source = ToolDatabase.Create(ConnectionStrings.ToNpgsql(result.GetValue(options.Source)!));
            var dispatcher = new TableDispatcher(result.GetValue(destTable)!, result.GetValue(partField), result.GetValue(period) == "month",
                TableDispatcher.Fields(result.GetValue(fields)), result.GetValue(template), TableDispatcher.EventTypes(result.GetValue(eventTypes)), new SourceTimeZone(source));
            return await PgQVerb.RunAsync(result, options, result.GetValue(target)!, null, "dispatch-table", output,
                (consumer, database, _, ct) => consumer.ProcessBatchIntoAsync(database, dispatcher.ApplyAsync, ct), cancellationToken).ConfigureAwait(false);
        }));
        return command;
    }
}

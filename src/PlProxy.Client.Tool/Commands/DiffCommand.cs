using System.CommandLine;
using System.Diagnostics;
using PlProxy.Client.Connections;
using PlProxy.Client.Partconf;
using PlProxy.Client.Tool.Resharding;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Commands;

/// <summary>
/// <c>plproxy diff</c>: while a split or move copies (for instance stopped with <c>--stop-before-switch</c>), compares
/// every moving row of every copied table with its source, by chunked checksums over key ranges; exit code 1 on any
/// difference, naming the table, the copy and a few keys.
/// </summary>
internal static class DiffCommand
{
    public static Command Create()
    {
        var options = new ClusterOptions();
        var chunkRows = new Option<int>("--chunk-rows") { Description = "Rows per checksummed chunk of keys", DefaultValueFactory = _ => 10_000 };
        var rate = new Option<int>("--rows-per-second") { Description = "At most this many rows read per second on each side, to spare busy databases (0: no limit)", DefaultValueFactory = _ => 0 };
        var json = JsonReport.Option();
        var resume = new Option<bool>("--resume") { Description = "Go on after the last chunk a stopped diff finished (its counts kept) instead of starting over" };
        chunkRows.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 100)
            {
                result.AddError("--chunk-rows must be at least 100.");
            }
        });
        rate.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 0)
            {
                result.AddError("--rows-per-second must not be negative.");
            }
        });
        var diff = new Command("diff", "Compares the rows a split or move in progress copies with their sources (chunked checksums over key ranges); exit code 1 on any difference.") { chunkRows, rate, resume, json };
        options.AddTo(diff);
        diff.SetAction((result, cancellationToken) => Verb.RunAsync(result, "diff", async output =>
        {
            string name = result.GetValue(options.Cluster)!;
            string store = ConnectionStrings.ToNpgsql(result.GetValue(options.Proxy)!);
            PartconfCluster definition = await PartconfDatabase.DatabasesAsync(store, name, cancellationToken).ConfigureAwait(false);
            output.HideSecretsOf(definition);
            ReshardOperation? operation = await ReshardOperation.ReadAsync(store, name, cancellationToken).ConfigureAwait(false);
            if (operation is null || operation.Switched)
            {
                string why = operation is null
                    ? $"no split or move of cluster {name} is in progress: there is no copy to compare"
                    : $"the {(operation.Kind == ReshardKind.Split ? "split" : "move")} of cluster {name} has switched: its copies are partitions now (plproxy verify checks them)";
                await (result.GetValue(json)
                    ? JsonReport.WriteAsync(output, w => { w.WriteStartObject(); w.WriteNull("operation"); w.WriteBoolean("equal", true); w.WriteString("note", why); w.WriteEndObject(); })
                    : output.WriteLineAsync($"plproxy diff: {why}.")).ConfigureAwait(false);
                return 0;
            }

            foreach (string partition in operation.NewMap)
            {
                output.HideSecretsOf(definition.ConnectionStringOf(partition));
            }

            ReshardPlan plan = await DirectConnections.ResolveAsync(
                ReshardPlan.Of(definition, operation, await ReshardVerb.DbCodesAsync(definition, operation.OldMap, cancellationToken).ConfigureAwait(false)), TextWriter.Null, cancellationToken).ConfigureAwait(false);
            ProxyMap map = await ProxyMap.ReadAsync(store, name, definition.Definition.Options.Partitions, cancellationToken).ConfigureAwait(false);
            await using var resharder = new Resharder(plan, map, switched: false, store, ReshardSettings.Default, TextWriter.Null);
            await resharder.RequireCopiesAsync(cancellationToken).ConfigureAwait(false);
            bool asJson = result.GetValue(json);
            var clock = Stopwatch.StartNew();
            await using var progress = new DiffProgress(store, name);
            List<(ReshardTarget Target, TableDiff Diff)> found = await resharder.DiffAsync(
                result.GetValue(chunkRows), result.GetValue(rate), asJson ? null : (target, table) => output.WriteLineAsync(Line(target, table)), cancellationToken,
                progress, result.GetValue(resume)).ConfigureAwait(false);
            clock.Stop();
            long rows = found.Sum(f => f.Diff.Rows);
            bool equal = found.TrueForAll(f => f.Diff.Equal);
            if (asJson)
            {
                await JsonReport.WriteAsync(output, w =>
                {
                    w.WriteStartObject();
                    w.WriteString("operation", operation.Kind == ReshardKind.Split ? "split" : "move");
                    w.WriteBoolean("equal", equal);
                    w.WriteNumber("rows", rows);
                    w.WriteNumber("seconds", Math.Round(clock.Elapsed.TotalSeconds, 3));
                    w.WriteStartArray("tables");
                    foreach ((ReshardTarget target, TableDiff table) in found)
                    {
                        w.WriteStartObject();
                        w.WriteString("table", table.Table);
                        w.WriteString("source", target.Source.Name);
                        w.WriteString("copy", target.Name);
                        w.WriteStartArray("partitions");
                        foreach (int partition in target.Settings.Partitions)
                        {
                            w.WriteNumberValue(partition);
                        }

                        w.WriteEndArray();
                        w.WriteNumber("rows", table.Rows);
                        w.WriteNumber("missing", table.Missing);
                        w.WriteNumber("extra", table.Extra);
                        w.WriteNumber("different", table.Different);
                        Keys(w, "missingKeys", table.MissingKeys);
                        Keys(w, "extraKeys", table.ExtraKeys);
                        Keys(w, "differentKeys", table.DifferentKeys);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                }).ConfigureAwait(false);
            }
            else
            {
                await output.WriteLineAsync(equal
                    ? $"plproxy diff: {rows} moving rows of {found.Count} table copies equal their sources ({clock.Elapsed.TotalSeconds:0.0} s, {rows / Math.Max(clock.Elapsed.TotalSeconds, 0.001):0} rows/s)."
                    : $"plproxy diff: {found.Count(f => !f.Diff.Equal)} of {found.Count} table copies differ from their sources; the switch would refuse them.").ConfigureAwait(false);
            }

            return equal ? 0 : 1;
        }));
        return diff;
    }

    private static string Line(ReshardTarget target, TableDiff table) =>
        table.Equal
            ? $"{table.Table}: {target.Source.Name} -> {target.Name} (partition {string.Join(", ", target.Settings.Partitions)}): {table.Rows} rows equal ({table.Elapsed.TotalSeconds:0.00} s)"
            : $"{table.Table}: {target.Source.Name} -> {target.Name} (partition {string.Join(", ", target.Settings.Partitions)}): DIFFERENT: {table.Describe(target.Name)}";

    private static void Keys(System.Text.Json.Utf8JsonWriter w, string name, List<string> keys)
    {
        w.WriteStartArray(name);
        foreach (string key in keys)
        {
            w.WriteStringValue(key);
        }

        w.WriteEndArray();
    }
}

using Npgsql;
using PlProxy.Client.Connections;
using PlProxy.Client.Language;
using PlProxy.Client.Tool.Scaffolding.Catalog;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Security;

/// <summary>
/// The partition functions a proxy database publishes for a cluster, read from its plproxy functions as scaffold reads
/// them: those whose CLUSTER names the cluster, each calling TARGET (or its own name) with its arguments. A function
/// whose body is a SELECT runs its own query on the partitions, which EXECUTE cannot cover: it is reported, not granted.
/// </summary>
internal static class PublishedFunctions
{
    public static async Task<(List<PublishedFunction> Functions, List<string> Skipped)> ReadAsync(string proxy, string cluster, CancellationToken cancellationToken)
    {
        await using NpgsqlDataSource database = ToolDatabase.Create(ConnectionStrings.ToNpgsql(proxy));
        var functions = new List<PublishedFunction>();
        var skipped = new List<string>();
        foreach (CatalogFunction function in await new ProxyCatalog(database).FunctionsAsync(cancellationToken).ConfigureAwait(false))
        {
            BodySyntax body = Parser.Parse(function.Body);
            if (!body.IsValid || ClusterOf(body) != cluster)
            {
                continue;
            }

            if (body.Statements.Any(s => s.Kind == StatementKind.Select))
            {
                skipped.Add(PublishedFunction.NotGrantable(function.Signature));
                continue;
            }

            string target = body.Statements.OfType<TargetSyntax>().Select(t => t.Name.Name).FirstOrDefault() ?? function.Name;
            functions.Add(new PublishedFunction(
                function.Signature,
                target,
                [.. function.Arguments.Where(a => a.Mode is 'i' or 'b' or 'v').Select(a => a.Type.Display)]));
        }

        return (functions, skipped);
    }

    // The cluster a CLUSTER statement names with a literal ('name'), or null.
    private static string? ClusterOf(BodySyntax body) =>
        body.Statements.OfType<ClusterSyntax>().Select(c => c.Name).FirstOrDefault();
}

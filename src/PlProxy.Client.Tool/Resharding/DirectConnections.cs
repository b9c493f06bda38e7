using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>
/// The databases of a split or move as its own connections need them: the databases themselves when the map names a
/// pooler in front of them (<see cref="DatabaseItself"/>). Every one needs replication connections and sessions of its
/// own — a source for its copies, a new database and a source for the slots that record the keys written while the
/// copies are compared, which a pooler's session would outlive. The map is left as it is.
/// </summary>
internal static class DirectConnections
{
    /// <summary>The plan with each source's and new database's connection string one the copy can use; the map unchanged.</summary>
    public static async Task<ReshardPlan> ResolveAsync(ReshardPlan plan, TextWriter output, CancellationToken cancellationToken)
    {
        var resolved = new Dictionary<string, string>(StringComparer.Ordinal);
        var sources = new Dictionary<ReshardSource, ReshardSource>(ReferenceEqualityComparer.Instance);
        foreach (ReshardSource source in plan.Sources)
        {
            sources[source] = source with { ConnectionString = await DirectAsync(source.ConnectionString, source.Name).ConfigureAwait(false) };
        }

        var targets = new List<ReshardTarget>();
        foreach (ReshardTarget target in plan.Targets)
        {
            targets.Add(target with { ConnectionString = await DirectAsync(target.ConnectionString, target.Name).ConfigureAwait(false), Source = sources[target.Source] });
        }

        return plan with { Sources = [.. plan.Sources.Select(s => sources[s])], Targets = targets };

        async Task<string> DirectAsync(string connectionString, string name)
        {
            if (!resolved.TryGetValue(connectionString, out string? direct))
            {
                resolved[connectionString] = direct = await DatabaseItself.ConnectionStringAsync(connectionString, name, plan.Verb, replication: true, output, cancellationToken).ConfigureAwait(false);
            }

            return direct;
        }
    }
}

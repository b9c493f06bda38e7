using Npgsql;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>
/// A split or move in progress, recorded (<c>plproxy_tool.operation</c>) in the proxy database — for a configured
/// cluster, in the database of its partition 0 — before anything else is changed and removed when its cleanup is done:
/// what a resumed or aborted run starts from.
/// </summary>
/// <param name="Kind">Split or move.</param>
/// <param name="OldMap">The partition list before.</param>
/// <param name="NewMap">The partition list after.</param>
/// <param name="Switched">Whether the new map is published (for a configured cluster: its fragment written).</param>
internal sealed record ReshardOperation(ReshardKind Kind, string[] OldMap, string[] NewMap, bool Switched = false)
{
    /// <summary>The operation in progress on <paramref name="cluster"/>, if any.</summary>
    public static async Task<ReshardOperation?> ReadAsync(string proxy, string cluster, CancellationToken cancellationToken)
    {
        await using NpgsqlDataSource database = ToolDatabase.Create(proxy);
        if (!await database.ScalarAsync<bool>("select to_regclass('plproxy_tool.operation') is not null", cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        List<ReshardOperation> operations = await database.ListAsync(
            "select kind, old_map, new_map, switched from plproxy_tool.operation where cluster_name = $1",
            r => new ReshardOperation(r.GetString(0) == "split" ? ReshardKind.Split : ReshardKind.Move, r.GetFieldValue<string[]>(1), r.GetFieldValue<string[]>(2), r.GetBoolean(3)),
            cancellationToken, cluster).ConfigureAwait(false);
        return operations.Count == 0 ? null : operations[0];
    }

    /// <summary>Records the operation (nothing when it is recorded already).</summary>
    public async Task RecordAsync(string proxy, string cluster, CancellationToken cancellationToken)
    {
        await using NpgsqlDataSource database = ToolDatabase.Create(proxy);
        await ToolSchema.EnsureAsync(database, """
            create schema if not exists plproxy_tool;
            create table if not exists plproxy_tool.operation (
                cluster_name text primary key, kind text not null, old_map text[] not null, new_map text[] not null,
                started_at timestamptz not null default now());
            alter table plproxy_tool.operation add column if not exists switched boolean not null default false;
            comment on table plproxy_tool.operation is 'plproxy split/move in progress: run the same command again to resume, or with --abort';
            """, cancellationToken).ConfigureAwait(false);
        await database.ExecuteAsync(
            "insert into plproxy_tool.operation (cluster_name, kind, old_map, new_map) values ($1, $2, $3, $4) on conflict (cluster_name) do nothing",
            cancellationToken, cluster, Kind == ReshardKind.Split ? "split" : "move", OldMap, NewMap).ConfigureAwait(false);
    }

    /// <summary>Records that the new map is published: from now on the operation can only be finished.</summary>
    public static async Task MarkSwitchedAsync(string proxy, string cluster, CancellationToken cancellationToken)
    {
        await using NpgsqlDataSource database = ToolDatabase.Create(proxy);
        await database.ExecuteAsync("update plproxy_tool.operation set switched = true where cluster_name = $1", cancellationToken, cluster).ConfigureAwait(false);
    }

    /// <summary>Removes the record: the operation is finished or aborted.</summary>
    public static async Task ForgetAsync(string proxy, string cluster, CancellationToken cancellationToken)
    {
        await using NpgsqlDataSource database = ToolDatabase.Create(proxy);
        await database.ExecuteAsync("delete from plproxy_tool.operation where cluster_name = $1", cancellationToken, cluster).ConfigureAwait(false);
    }
}

using Npgsql;
using PlProxy.Client.Partconf;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>What to do with a source database's tables that no partconf trigger declares partitioned.</summary>
internal enum OtherTables
{
    /// <summary>Not told: the tool lists them and refuses to start.</summary>
    Refuse,

    /// <summary>Copied whole to the new databases and kept whole everywhere (reference tables).</summary>
    Copy,

    /// <summary>Left where they are (the new databases get them empty).</summary>
    Leave,
}

/// <summary>A source database's user tables: those partitioned by a partconf trigger, and the others.</summary>
/// <param name="Partitioned">Tables with a <c>partconf.valid_hash</c> trigger: copied, then each row kept where its key maps.</param>
/// <param name="Others">Tables without one.</param>
/// <param name="WithoutIdentity">Tables logical replication cannot copy updates of (no primary key, no replica identity).</param>
internal sealed record SourceTables(IReadOnlyList<PartitionedTable> Partitioned, IReadOnlyList<string> Others, IReadOnlyList<string> WithoutIdentity)
{
    /// <summary>The tables published to the new databases.</summary>
    public IEnumerable<string> Copied(OtherTables others) =>
        Partitioned.Select(t => t.Table).Concat(others == OtherTables.Copy ? Others : []);

    public static async Task<SourceTables> ReadAsync(NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        List<PartitionedTable> partitioned = await PartconfDatabase.PartitionedTablesAsync(database, cancellationToken).ConfigureAwait(false);
        var names = partitioned.Select(t => t.Table).ToHashSet(StringComparer.Ordinal);
        List<(string Table, bool Identity)> tables = await database.ListAsync("""
            select c.oid::regclass::text,
                   c.relreplident in ('f', 'i') or (c.relreplident = 'd' and exists (select 1 from pg_catalog.pg_index i where i.indrelid = c.oid and i.indisprimary))
            from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p') and not c.relispartition
              and n.nspname not in ('pg_catalog', 'information_schema', 'partconf') and n.nspname !~ '^pg_(toast|temp)'
            order by 1
            """, r => (r.GetString(0), r.GetBoolean(1)), cancellationToken).ConfigureAwait(false);
        return new SourceTables(
            partitioned,
            [.. tables.Where(t => !names.Contains(t.Table)).Select(t => t.Table)],
            [.. tables.Where(t => !t.Identity).Select(t => t.Table)]);
    }
}

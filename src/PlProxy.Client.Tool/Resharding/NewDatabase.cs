using Npgsql;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>A split's or move's new database, as the abort leaves it.</summary>
internal static class NewDatabase
{
    /// <summary>A new database back to empty (an aborted split or move): the schema the copy brought is dropped.</summary>
    public static Task EmptyAsync(NpgsqlDataSource database, CancellationToken cancellationToken) => database.ExecuteAsync("""
        do $$
        declare r record;
        begin
            for r in select nspname from pg_catalog.pg_namespace
                     where nspname not in ('public', 'pg_catalog', 'information_schema') and nspname !~ '^pg_(toast|temp)' loop
                execute format('drop schema %I cascade', r.nspname);
            end loop;
            for r in select c.oid::regclass::text as name, c.relkind from pg_catalog.pg_class c
                     where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') loop
                execute format('drop %s if exists %s cascade',
                    case r.relkind when 'v' then 'view' when 'm' then 'materialized view' when 'S' then 'sequence' when 'f' then 'foreign table' else 'table' end, r.name);
            end loop;
            for r in select p.oid::regprocedure::text as name, p.prokind from pg_catalog.pg_proc p where p.pronamespace = 'public'::regnamespace loop
                execute format('drop %s if exists %s cascade', case r.prokind when 'p' then 'procedure' when 'a' then 'aggregate' else 'function' end, r.name);
            end loop;
            for r in select t.oid::regtype::text as name from pg_catalog.pg_type t left join pg_catalog.pg_class c on c.oid = t.typrelid
                     where t.typnamespace = 'public'::regnamespace and (t.typtype in ('e', 'd', 'r') or (t.typtype = 'c' and c.relkind = 'c')) loop
                execute format('drop type if exists %s cascade', r.name);
            end loop;
        end $$
        """, cancellationToken);
}

using Npgsql;
using PlProxy.Client.Language;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Security;

/// <summary>
/// What an application role may do on one partition database: the statements that leave it EXECUTE on exactly the
/// published functions (grant), and what it can do beyond them (verify), each finding with the statement that fixes it.
/// Every schema outside the system's is involved: its tables, sequences and functions are revoked from the role and
/// from PUBLIC, and CREATE in it; so are the default privileges that would give them what is made later (PostgreSQL
/// lets PUBLIC execute every new function unless its creator's default says otherwise).
/// </summary>
internal static class PartitionPrivileges
{
    internal const string UserSchemas = "n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp)'";

    // What tables, sequences and functions made from now on grant the role ($1) or PUBLIC: every default privilege
    // (pg_default_acl, per role and schema) that names either, and the built-in default of EXECUTE for PUBLIC on the
    // functions made by each role that owns a function here or the database, where no global default replaces it.
    // Each row: the creating role and the schema as named (unquoted; '' for all schemas), the object kind, whether the
    // current user may change it.
    private const string DefaultsSql = $$"""
        with owners as (
            select p.proowner as role from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace where {{UserSchemas}}
            union select d.datdba from pg_catalog.pg_database d where d.datname = pg_catalog.current_database()),
        defaults as (
            select d.defaclrole as role, d.defaclnamespace as schema, d.defaclobjtype::text as kind, d.defaclacl as acl
            from pg_catalog.pg_default_acl d where d.defaclobjtype in ('r', 'S', 'f')
            union all
            select o.role, 0::oid, 'f', pg_catalog.acldefault('f', o.role) from owners o
            where not exists (select from pg_catalog.pg_default_acl d where d.defaclrole = o.role and d.defaclnamespace = 0 and d.defaclobjtype = 'f'))
        select distinct pg_catalog.pg_get_userbyid(d.role)::text, coalesce(n.nspname::text, ''), d.kind,
               pg_catalog.pg_has_role(current_user, d.role, 'MEMBER')::text
        from defaults d left join pg_catalog.pg_namespace n on n.oid = d.schema cross join lateral pg_catalog.aclexplode(d.acl) a
        where a.grantee = 0 or a.grantee = (select r.oid from pg_catalog.pg_roles r where r.rolname = $1)
        order by 1, 2, 3
        """;

    /// <summary>
    /// The grant's statements for this database, in order (run in one transaction), and what they cannot cover: a
    /// default privilege of a role the current user is not a member of (functions that role makes from now on would
    /// still be executable by PUBLIC or the role), each with the statement its owner runs.
    /// </summary>
    public static async Task<(List<string> Statements, List<string> NotCovered)> GrantStatementsAsync(NpgsqlDataSource database, string role, IReadOnlyList<PublishedFunction> published, string shown, CancellationToken cancellationToken)
    {
        if (await RolePowers.WhyNotRestrictableAsync(database, role, shown, cancellationToken).ConfigureAwait(false) is { } why)
        {
            throw new ToolRefusal($"{why}. Nothing was changed.");
        }

        var statements = new List<string>();
        var notCovered = new List<string>();
        string grantee = SqlNames.QuoteIdentifier(role);
        foreach (string schema in await ListAsync(database, $"select n.nspname::text from pg_catalog.pg_namespace n where {UserSchemas} order by 1", cancellationToken).ConfigureAwait(false))
        {
            string s = SqlNames.QuoteIdentifier(schema);
            statements.Add($"revoke all on all tables in schema {s} from {grantee}, public;");
            statements.Add($"revoke all on all sequences in schema {s} from {grantee}, public;");
            statements.Add($"revoke all on all functions in schema {s} from {grantee}, public;");
            statements.Add($"revoke create on schema {s} from {grantee}, public;");
        }

        foreach ((string Signature, string Schema) function in await ResolveAsync(database, published, shown, cancellationToken).ConfigureAwait(false))
        {
            statements.Add($"grant usage on schema {SqlNames.QuoteIdentifier(function.Schema)} to {grantee};");
            statements.Add($"grant execute on function {function.Signature} to {grantee};");
        }

        // What is made later gets nothing either: a function deployed after the grant is not executable by PUBLIC.
        foreach ((string finding, string fix, bool mayChange) in await DefaultsAsync(database, role, shown, cancellationToken).ConfigureAwait(false))
        {
            if (mayChange)
            {
                statements.Add(fix);
            }
            else
            {
                notCovered.Add($"{finding} (fix, as that role: {fix})");
            }
        }

        return ([.. statements.Distinct(StringComparer.Ordinal)], notCovered);
    }

    // The default privileges that give the role or PUBLIC what is made from now on, each with the statement that
    // revokes it and whether the current user may run that statement.
    private static async Task<List<(string Finding, string Fix, bool MayChange)>> DefaultsAsync(NpgsqlDataSource database, string role, string shown, CancellationToken cancellationToken)
    {
        var defaults = new List<(string, string, bool)>();
        foreach (string[] row in await RowsAsync(database, DefaultsSql, role, cancellationToken).ConfigureAwait(false))
        {
            (string creator, string schema, string kind) = (row[0], row[1], row[2] switch { "r" => "tables", "S" => "sequences", _ => "functions" });
            string where = schema.Length == 0 ? "" : $" in schema {schema}";
            defaults.Add((
                $"{shown}: {kind} that {creator} makes{where} from now on are granted to {role} or PUBLIC (default privileges)",
                $"alter default privileges for role {SqlNames.QuoteIdentifier(creator)}{(schema.Length == 0 ? "" : $" in schema {SqlNames.QuoteIdentifier(schema)}")} revoke all on {kind} from {SqlNames.QuoteIdentifier(role)}, public;",
                row[3] == "true"));
        }

        return defaults;
    }

    /// <summary>What the role can do beyond the published functions, each with the statement that fixes it.</summary>
    public static async Task<List<(string Finding, string Fix)>> FindingsAsync(NpgsqlDataSource database, string role, IReadOnlyList<PublishedFunction> published, string shown, CancellationToken cancellationToken)
    {
        HashSet<string> allowed = [.. (await ResolveAsync(database, published, shown, cancellationToken).ConfigureAwait(false)).Select(f => f.Signature)];
        string grantee = SqlNames.QuoteIdentifier(role);
        var findings = new List<(string, string)>();
        foreach (string[] row in await RowsAsync(database, $"""
            select c.oid::regclass::text, c.relkind::text from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
            where {UserSchemas} and (
                (c.relkind in ('r', 'p', 'v', 'm', 'f') and pg_catalog.has_table_privilege($1, c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER'))
                or (c.relkind = 'S' and pg_catalog.has_sequence_privilege($1, c.oid, 'USAGE, SELECT, UPDATE')))
            order by 1
            """, role, cancellationToken).ConfigureAwait(false))
        {
            findings.Add(row[1] == "S"
                ? ($"{shown}: {role} can use sequence {row[0]}", $"revoke all on sequence {row[0]} from {grantee}, public;")
                : ($"{shown}: {role} can read or write table {row[0]}", $"revoke all on table {row[0]} from {grantee}, public;"));
        }

        foreach (string[] row in await RowsAsync(database, $$"""
            select p.oid::regprocedure::text, n.nspname::text,
                   (p.prosecdef and not exists (select from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%'))::text
            from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
            where {{UserSchemas}} and p.prokind in ('f', 'p') and pg_catalog.has_function_privilege($1, p.oid, 'EXECUTE')
            order by 1
            """, role, cancellationToken).ConfigureAwait(false))
        {
            if (!allowed.Contains(row[0]))
            {
                findings.Add(($"{shown}: {role} can execute {row[0]}, which the proxy database does not publish", $"revoke execute on function {row[0]} from {grantee}, public;"));
            }

            if (row[2] == "true")
            {
                findings.Add((
                    $"{shown}: {row[0]} runs as its owner (SECURITY DEFINER) without a fixed search_path: a name it uses could be resolved in a schema the caller can write",
                    $"alter function {row[0]} set search_path = pg_catalog, {SqlNames.QuoteIdentifier(row[1])};"));
            }
        }

        foreach (string schema in await ListAsync(database, $"select n.nspname::text from pg_catalog.pg_namespace n where {UserSchemas} and pg_catalog.has_schema_privilege($1, n.oid, 'CREATE') order by 1", cancellationToken, role).ConfigureAwait(false))
        {
            findings.Add(($"{shown}: {role} can create objects in schema {schema}", $"revoke create on schema {SqlNames.QuoteIdentifier(schema)} from {grantee}, public;"));
        }

        findings.AddRange((await DefaultsAsync(database, role, shown, cancellationToken).ConfigureAwait(false)).Select(d => (d.Finding, d.Fix)));
        findings.AddRange(await RolePowers.FindingsAsync(database, role, shown, cancellationToken).ConfigureAwait(false));

        return findings;
    }

    // Each published function as this database resolves the call (its regprocedure and schema); one it lacks is refused.
    private static async Task<List<(string Signature, string Schema)>> ResolveAsync(NpgsqlDataSource database, IReadOnlyList<PublishedFunction> published, string shown, CancellationToken cancellationToken)
    {
        var resolved = new List<(string, string)>();
        foreach (PublishedFunction function in published)
        {
            await using NpgsqlCommand command = database.CreateCommand("""
                select p.oid::regprocedure::text, n.nspname::text from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
                where p.oid = pg_catalog.to_regprocedure($1)
                """);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = function.Signature });
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new ToolRefusal($"{shown} has no function {function.Signature}, which {function.Proxy} calls there; nothing was changed.");
            }

            resolved.Add((reader.GetString(0), reader.GetString(1)));
        }

        return resolved;
    }

    private static async Task<List<string>> ListAsync(NpgsqlDataSource database, string sql, CancellationToken cancellationToken, string? role = null) =>
        [.. (await RowsAsync(database, sql, role, cancellationToken).ConfigureAwait(false)).Select(row => row[0])];

    // Every row of the query, each column as text; $1 is the role when one is given.
    internal static async Task<List<string[]>> RowsAsync(NpgsqlDataSource database, string sql, string? role, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = database.CreateCommand(sql);
        if (role is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = role });
        }

        var rows = new List<string[]>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var row = new string[reader.FieldCount];
            for (int i = 0; i < row.Length; i++)
            {
                row[i] = reader.GetString(i);
            }

            rows.Add(row);
        }

        return rows;
    }
}

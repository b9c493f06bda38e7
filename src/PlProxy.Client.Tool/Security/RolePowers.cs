using PlProxy.Client.Language;

namespace PlProxy.Client.Tool.Security;

/// <summary>
/// What a role can do that no privilege on a table, sequence or function shows: its own attributes (superuser,
/// CREATEROLE, REPLICATION, BYPASSRLS), what it owns in the database (it may alter, replace or drop it, published
/// functions included), and the roles it is a member of — one it can only SET ROLE to (its privileges are not the
/// role's own, so <c>has_table_privilege</c> does not count them), one with those attributes or owning objects, and
/// PostgreSQL's roles that read or write the server's files or run programs on it.
/// </summary>
internal static class RolePowers
{
    private const string Sql = $$"""
        select r.rolname::text, (r.rolname = $1)::text, pg_catalog.pg_has_role($1, r.oid, 'USAGE')::text,
               r.rolsuper::text, r.rolcreaterole::text, r.rolreplication::text, r.rolbypassrls::text,
               (r.rolname in ('pg_execute_server_program', 'pg_read_server_files', 'pg_write_server_files'))::text,
               ({{OwnsObjects}})::text,
               coalesce((select pg_catalog.string_agg(pg_catalog.quote_ident(g.rolname), ', ' order by g.rolname)
                         from pg_catalog.pg_auth_members m join pg_catalog.pg_roles g on g.oid = m.roleid
                         where m.member = (select u.oid from pg_catalog.pg_roles u where u.rolname = $1) and pg_catalog.pg_has_role(g.oid, r.oid, 'MEMBER')), '')
        from pg_catalog.pg_roles r
        where pg_catalog.pg_has_role($1, r.oid, 'MEMBER') and r.rolname <> 'pg_database_owner'
        order by r.rolname <> $1, r.rolname
        """;

    // Whether role r owns the database or an object in one of its user schemas.
    private const string OwnsObjects = $$"""
        r.oid = (select d.datdba from pg_catalog.pg_database d where d.datname = pg_catalog.current_database())
                or exists (select from pg_catalog.pg_namespace n where n.nspowner = r.oid and {{PartitionPrivileges.UserSchemas}})
                or exists (select from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where c.relowner = r.oid and {{PartitionPrivileges.UserSchemas}})
                or exists (select from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace where p.proowner = r.oid and {{PartitionPrivileges.UserSchemas}})
        """;

    /// <summary>
    /// Why <paramref name="role"/> cannot be restricted to the published functions, or null when it can: a superuser
    /// passes every privilege check, and the owner of the database's objects would lose what the definer functions it
    /// owns run with (revoking its privileges on its own tables stops them).
    /// </summary>
    public static async Task<string?> WhyNotRestrictableAsync(Npgsql.NpgsqlDataSource database, string role, string shown, CancellationToken cancellationToken)
    {
        foreach (string[] row in await PartitionPrivileges.RowsAsync(database, $"select r.rolsuper::text, ({OwnsObjects})::text from pg_catalog.pg_roles r where r.rolname = $1", role, cancellationToken).ConfigureAwait(false))
        {
            if (row[0] == "true")
            {
                return $"{role} is a superuser on {shown}: it passes every privilege check, so the grant would restrict nothing. Give the application a role of its own (create role app login), grant that, and connect as it";
            }

            if (row[1] == "true")
            {
                return $"{role} owns objects in {shown} (the database, a schema, a table or a function): revoking its privileges would stop the SECURITY DEFINER functions it owns, which run with them. Give the application a role of its own (create role app login), grant that, and connect as it";
            }
        }

        return null;
    }

    /// <summary>Each power of <paramref name="role"/> beyond the published functions, with the statement that takes it away.</summary>
    public static async Task<List<(string Finding, string Fix)>> FindingsAsync(Npgsql.NpgsqlDataSource database, string role, string shown, CancellationToken cancellationToken)
    {
        string grantee = SqlNames.QuoteIdentifier(role);
        var findings = new List<(string, string)>();
        foreach (string[] row in await PartitionPrivileges.RowsAsync(database, Sql, role, cancellationToken).ConfigureAwait(false))
        {
            (string name, bool self, bool inherited) = (row[0], row[1] == "true", row[2] == "true");
            if (self)
            {
                findings.AddRange(Attributes.Where(a => row[a.Column] == "true").Select(a => ($"{shown}: {role} {a.Power} ({a.Keyword})", $"alter role {grantee} no{a.Keyword.ToLowerInvariant()};")));
                if (row[8] == "true")
                {
                    findings.Add(($"{shown}: {role} {Owns}", $"reassign owned by {grantee} to current_user;"));
                }

                continue;
            }

            var powers = Attributes.Where(a => row[a.Column] == "true").Select(a => $"{a.Power} ({a.Keyword})").ToList();
            if (row[7] == "true")
            {
                powers.Add("may read or write the server's files or run programs on it");
            }

            if (row[8] == "true")
            {
                powers.Add(Owns);
            }

            if (!inherited)
            {
                powers.Add($"{role} may SET ROLE to, and what it may do is not counted above");
            }

            if (powers.Count > 0)
            {
                // The membership to revoke is the role's own: of this role, or of those it is a member of through.
                string direct = row[9];
                bool through = direct != SqlNames.QuoteIdentifier(name) && direct != name;
                findings.Add((
                    $"{shown}: {role} is a member of {name}{(through ? $" (through {direct})" : "")}, which {string.Join("; ", powers)}",
                    $"revoke {(direct.Length == 0 ? SqlNames.QuoteIdentifier(name) : direct)} from {grantee};"));
            }
        }

        return findings;
    }

    private const string Owns = "owns objects in this database, so may alter, replace or drop them (the published functions included)";

    // The role attributes that give powers no privilege shows: the query's column, what it allows, its keyword.
    private static readonly (int Column, string Power, string Keyword)[] Attributes =
    [
        (3, "may do anything on the server", "SUPERUSER"),
        (4, "may create roles and grant itself other roles", "CREATEROLE"),
        (5, "may stream every database's data", "REPLICATION"),
        (6, "bypasses row-level security", "BYPASSRLS"),
    ];
}

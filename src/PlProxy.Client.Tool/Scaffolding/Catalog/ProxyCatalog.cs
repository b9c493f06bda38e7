using Npgsql;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Scaffolding.Catalog;

/// <summary>Reads the plproxy functions of a proxy database and the types they use from its catalog.</summary>
internal sealed class ProxyCatalog
{
    private const string FunctionsQuery = """
        select n.nspname, p.proname, p.prosrc, p.prorettype::int8, p.proretset,
               coalesce(p.proallargtypes, p.proargtypes::oid[])::int8[],
               p.proargmodes::text[], p.proargnames, p.oid::regprocedure::text
        from pg_catalog.pg_proc p
        join pg_catalog.pg_namespace n on n.oid = p.pronamespace
        join pg_catalog.pg_language l on l.oid = p.prolang
        where l.lanname = $1 and n.nspname not in ('pg_catalog', 'information_schema')
        order by n.nspname, p.proname, p.oid
        """;

    private const string TypeQuery = """
        select n.nspname, t.typname, pg_catalog.format_type(t.oid, null), t.typtype::text, t.typelem::int8, t.typbasetype::int8,
               t.typrelid::int8, t.typcategory::text
        from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
        where t.oid = $1::int8::oid
        """;

    private const string ColumnsQuery = """
        select a.attname, a.atttypid::int8, a.attnotnull and c.relkind in ('r', 'p')
        from pg_catalog.pg_attribute a join pg_catalog.pg_class c on c.oid = a.attrelid
        where a.attrelid = $1::int8::oid and a.attnum > 0 and not a.attisdropped
        order by a.attnum
        """;

    private readonly NpgsqlDataSource _database;
    private readonly Dictionary<uint, CatalogType> _types = [];

    public ProxyCatalog(NpgsqlDataSource database) => _database = database;

    /// <summary>Every function of language plproxy, by schema and name.</summary>
    public Task<IReadOnlyList<CatalogFunction>> FunctionsAsync(CancellationToken cancellationToken) => FunctionsAsync("plproxy", cancellationToken);

    /// <summary>Every function of <paramref name="language"/> outside the system schemas, by schema and name.</summary>
    public async Task<IReadOnlyList<CatalogFunction>> FunctionsAsync(string language, CancellationToken cancellationToken)
    {
        var rows = new List<(string Schema, string Name, string Body, uint Return, bool Set, long[] Types, string[]? Modes, string[]? Names, string Signature)>();
        await using (NpgsqlCommand command = _database.CreateCommand(FunctionsQuery))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = language });
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), (uint)reader.GetInt64(3), reader.GetBoolean(4),
                    reader.GetFieldValue<long[]>(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<string[]>(6),
                    reader.IsDBNull(7) ? null : reader.GetFieldValue<string[]>(7), reader.GetString(8)));
            }
        }

        var functions = new List<CatalogFunction>(rows.Count);
        foreach (var row in rows)
        {
            var arguments = new List<CatalogArgument>(row.Types.Length);
            for (int i = 0; i < row.Types.Length; i++)
            {
                CatalogType type = await TypeAsync((uint)row.Types[i], cancellationToken).ConfigureAwait(false);
                arguments.Add(new CatalogArgument(row.Names is { } names && i < names.Length ? names[i] : "", type, row.Modes is { } modes ? modes[i][0] : 'i'));
            }

            CatalogType returnType = await TypeAsync(row.Return, cancellationToken).ConfigureAwait(false);
            functions.Add(new CatalogFunction(row.Schema, row.Name, row.Body, returnType, row.Set, arguments, row.Signature));
        }

        return functions;
    }

    /// <summary>A type with its element, base type and columns, read once.</summary>
    public async Task<CatalogType> TypeAsync(uint oid, CancellationToken cancellationToken)
    {
        if (_types.TryGetValue(oid, out CatalogType? known))
        {
            return known;
        }

        string schema, name, display, kind, category;
        long element, baseType, relation;
        await using (NpgsqlCommand command = _database.CreateCommand(TypeQuery))
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = oid });
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new ToolRefusal($"The catalog has no type with OID {oid}.");
            }

            (schema, name, display, kind) = (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3));
            (element, baseType, relation, category) = (reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetString(7));
        }

        // Only arrays (category A) have an element worth following; fixed-length types such as name also set typelem.
        CatalogType? elementType = category == "A" && element != 0 ? await TypeAsync((uint)element, cancellationToken).ConfigureAwait(false) : null;
        CatalogType? domainBase = kind == "d" ? await TypeAsync((uint)baseType, cancellationToken).ConfigureAwait(false) : null;
        var columns = new List<CatalogColumn>();
        if (kind == "c" && relation != 0)
        {
            var raw = new List<(string Name, long Type, bool NotNull)>();
            await using (NpgsqlCommand command = _database.CreateCommand(ColumnsQuery))
            {
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = relation });
                await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    raw.Add((reader.GetString(0), reader.GetInt64(1), reader.GetBoolean(2)));
                }
            }

            foreach (var column in raw)
            {
                columns.Add(new CatalogColumn(column.Name, await TypeAsync((uint)column.Type, cancellationToken).ConfigureAwait(false), column.NotNull));
            }
        }

        var type = new CatalogType(oid, schema, name, display, kind[0], elementType, domainBase, columns);
        _types[oid] = type;
        return type;
    }
}

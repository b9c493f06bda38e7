namespace PlProxy.Client.Tool.Scaffolding.Catalog;

/// <summary>A PostgreSQL type as the catalog describes it.</summary>
/// <param name="Oid">The type's OID.</param>
/// <param name="Schema">Its schema.</param>
/// <param name="Name">Its <c>typname</c>.</param>
/// <param name="Display">Its name as <c>format_type</c> writes it (schema-qualified when not on the search path).</param>
/// <param name="Kind">Its <c>typtype</c>: b(ase), c(omposite), d(omain), e(num), p(seudo), r(ange), m(ultirange).</param>
/// <param name="Element">For an array, its element type; otherwise null.</param>
/// <param name="BaseType">For a domain, the type it constrains; otherwise null.</param>
/// <param name="Columns">For a composite, its columns in order; otherwise empty.</param>
internal sealed record CatalogType(uint Oid, string Schema, string Name, string Display, char Kind, CatalogType? Element, CatalogType? BaseType, IReadOnlyList<CatalogColumn> Columns)
{
    /// <summary>True for a type of <c>pg_catalog</c>.</summary>
    public bool IsBuiltIn => Schema == "pg_catalog";
}

/// <summary>A column of a composite type (or table row type).</summary>
/// <param name="Name">The column name.</param>
/// <param name="Type">Its type.</param>
/// <param name="NotNull">True when the column is declared NOT NULL (tables only).</param>
internal sealed record CatalogColumn(string Name, CatalogType Type, bool NotNull);

/// <summary>An argument of a function.</summary>
/// <param name="Name">Its name, or empty when it has none.</param>
/// <param name="Type">Its type.</param>
/// <param name="Mode">Its <c>proargmodes</c> letter: i(n), o(ut), b (inout), v(ariadic), t(able column).</param>
internal sealed record CatalogArgument(string Name, CatalogType Type, char Mode)
{
    /// <summary>True for an argument the caller passes.</summary>
    public bool IsInput => Mode is 'i' or 'b' or 'v';

    /// <summary>True for a result column.</summary>
    public bool IsOutput => Mode is 'o' or 'b' or 't';
}

/// <summary>A function of language plproxy.</summary>
/// <param name="Schema">Its schema.</param>
/// <param name="Name">Its name.</param>
/// <param name="Body">Its body (<c>prosrc</c>), as written.</param>
/// <param name="ReturnType">Its declared result type.</param>
/// <param name="ReturnsSet">True for SETOF (and RETURNS TABLE).</param>
/// <param name="Arguments">Every argument, input and output, in declaration order.</param>
/// <param name="Signature">The function as <c>regprocedure</c> writes it, for the report.</param>
internal sealed record CatalogFunction(string Schema, string Name, string Body, CatalogType ReturnType, bool ReturnsSet, IReadOnlyList<CatalogArgument> Arguments, string Signature)
{
    /// <summary>The arguments the caller passes, in order.</summary>
    public IEnumerable<CatalogArgument> Inputs => Arguments.Where(a => a.IsInput);

    /// <summary>The OUT, INOUT and TABLE columns, in order.</summary>
    public IEnumerable<CatalogArgument> Outputs => Arguments.Where(a => a.IsOutput);
}

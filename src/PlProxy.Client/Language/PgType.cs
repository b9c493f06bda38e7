namespace PlProxy.Client.Language;

/// <summary>The PostgreSQL types the language distinguishes when it binds and evaluates expressions.</summary>
internal enum PgTypeKind
{
    /// <summary>A type the client does not evaluate (numeric, timestamp, a composite ...); it may still be passed to the remote side.</summary>
    Other,

    /// <summary>text, varchar.</summary>
    Text,

    /// <summary>int2 / smallint.</summary>
    Int2,

    /// <summary>int4 / integer.</summary>
    Int4,

    /// <summary>int8 / bigint.</summary>
    Int8,

    /// <summary>uuid.</summary>
    Uuid,

    /// <summary>bool / boolean.</summary>
    Bool,

    /// <summary>bytea.</summary>
    Bytea,

    /// <summary>An untyped string literal, which takes the type its context needs (PostgreSQL's <c>unknown</c>).</summary>
    Unknown,
}

/// <summary>A PostgreSQL type as written in a signature: its canonical name, its kind, and whether it is an array.</summary>
/// <param name="Name">The canonical name (<c>int4</c>, <c>text[]</c>, or the name as given for other types).</param>
/// <param name="Kind">The kind of the type, or of its elements for an array.</param>
/// <param name="IsArray">True for an array type.</param>
internal sealed record PgType(string Name, PgTypeKind Kind, bool IsArray)
{
    public static readonly PgType Text = new("text", PgTypeKind.Text, false);
    public static readonly PgType Int2 = new("int2", PgTypeKind.Int2, false);
    public static readonly PgType Int4 = new("int4", PgTypeKind.Int4, false);
    public static readonly PgType Int8 = new("int8", PgTypeKind.Int8, false);
    public static readonly PgType Uuid = new("uuid", PgTypeKind.Uuid, false);
    public static readonly PgType Bool = new("bool", PgTypeKind.Bool, false);
    public static readonly PgType Unknown = new("unknown", PgTypeKind.Unknown, false);

    /// <summary>The element type of an array type (the type itself otherwise).</summary>
    public PgType Element => IsArray ? new PgType(Name.Substring(0, Name.Length - 2), Kind, false) : this;

    /// <summary>True for int2, int4 and int8: the types a hash may have.</summary>
    public bool IsInteger => !IsArray && Kind is PgTypeKind.Int2 or PgTypeKind.Int4 or PgTypeKind.Int8;

    /// <summary>True for text-like types (text, varchar) and untyped literals.</summary>
    public bool IsTextual => !IsArray && Kind is PgTypeKind.Text or PgTypeKind.Unknown;

    /// <summary>
    /// Reads a type name as PostgreSQL accepts it in a signature: aliases (<c>integer</c>, <c>bigint</c>,
    /// <c>character varying(20)</c> ...) map to canonical names; <c>[]</c> makes an array.
    /// </summary>
    public static PgType Parse(string name)
    {
        string text = (name ?? "").Trim();
        bool isArray = false;
        while (text.EndsWith("[]", StringComparison.Ordinal))
        {
            isArray = true;
            text = text.Substring(0, text.Length - 2).TrimEnd();
        }

        string lower = text.ToLowerInvariant();
        if (lower.StartsWith("pg_catalog.", StringComparison.Ordinal))
        {
            lower = lower.Substring("pg_catalog.".Length);
        }

        int modifier = lower.IndexOf('(');
        string baseName = (modifier >= 0 ? lower.Substring(0, modifier) : lower).Trim();

        (string canonical, PgTypeKind kind) = baseName switch
        {
            "text" => ("text", PgTypeKind.Text),
            "varchar" or "character varying" => ("varchar", PgTypeKind.Text),
            "int2" or "smallint" => ("int2", PgTypeKind.Int2),
            "int4" or "integer" or "int" => ("int4", PgTypeKind.Int4),
            "int8" or "bigint" => ("int8", PgTypeKind.Int8),
            "uuid" => ("uuid", PgTypeKind.Uuid),
            "bool" or "boolean" => ("bool", PgTypeKind.Bool),
            "bytea" => ("bytea", PgTypeKind.Bytea),
            _ => (text, PgTypeKind.Other),
        };

        return new PgType(isArray ? canonical + "[]" : canonical, kind, isArray);
    }

    /// <summary>The array type whose elements are of this type.</summary>
    public PgType ArrayOf() => new(Name + "[]", Kind, true);

    public override string ToString() => Name;
}

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

    /// <summary>
    /// character(n), bpchar: text whose trailing spaces do not count; cast to text (implicitly, as <c>hashtext</c> of
    /// one is), they are dropped.
    /// </summary>
    Bpchar,
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
            "bpchar" or "character" or "char" => ("bpchar", PgTypeKind.Bpchar),
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

    /// <summary>
    /// The type as a function's argument or result has it: without a type modifier, which PostgreSQL drops from a
    /// function's signature (<c>varchar(5)</c> is <c>varchar</c>) and which a cast to it would apply — cutting text,
    /// rounding numbers and times. Spelled, as PL/Proxy spells it, so that none is implied either: <c>bpchar</c>, not
    /// <c>character</c> (which is <c>character(1)</c>); <c>"bit"</c>, not <c>bit</c> (<c>bit(1)</c>). A name without a
    /// modifier, or quoted, is returned as written.
    /// </summary>
    /// <param name="declared">The type as declared (<c>numeric(12,2)</c>, <c>timestamp(0) with time zone[]</c>).</param>
    public static string WithoutModifier(string declared)
    {
        string text = (declared ?? "").Trim();
        if (text.IndexOf('"') >= 0)
        {
            return declared!;
        }

        string arrays = "";
        while (text.EndsWith("]", StringComparison.Ordinal) && text.LastIndexOf('[') is var open and > 0)
        {
            arrays += "[]"; // int[3] is int[] (bounds are not kept), and a cast ignores them
            text = text.Substring(0, open).TrimEnd();
        }

        string schema = "";
        string lower = string.Join(" ", text.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (lower.StartsWith("pg_catalog.", StringComparison.Ordinal))
        {
            schema = "pg_catalog.";
            lower = lower.Substring(schema.Length);
        }

        string? precision = null;
        var words = new System.Text.StringBuilder();
        for (int i = 0; i < lower.Length; i++)
        {
            if (lower[i] == '(' && lower.IndexOf(')', i) is var close and > 0)
            {
                precision ??= lower.Substring(i + 1, close - i - 1).Trim();
                i = close;
            }
            else
            {
                words.Append(lower[i]);
            }
        }

        string name = string.Join(" ", words.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        string? bare = name switch
        {
            "character varying" or "char varying" or "varchar" => "varchar",
            "character" or "char" or "bpchar" => "bpchar",
            "bit" => "\"bit\"",
            "bit varying" or "varbit" => "varbit",
            "numeric" or "decimal" or "dec" => "numeric",
            "timestamp" or "timestamp without time zone" => "timestamp",
            "timestamptz" or "timestamp with time zone" => "timestamptz",
            "time" or "time without time zone" => "time",
            "timetz" or "time with time zone" => "timetz",
            // float(p) is real up to 24 bits of precision, double precision above: a type, not a modifier
            "float" => precision is not null && int.TryParse(precision, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int bits) && bits <= 24 ? "float4" : "float8",
            _ when name.StartsWith("interval", StringComparison.Ordinal) => "interval", // interval day to second(3): fields are a modifier too
            _ => precision is not null ? name : null,
        };
        return bare is null ? declared! : schema + bare + arrays;
    }

    /// <summary>The array type whose elements are of this type.</summary>
    public PgType ArrayOf() => new(Name + "[]", Kind, true);

    public override string ToString() => Name;
}

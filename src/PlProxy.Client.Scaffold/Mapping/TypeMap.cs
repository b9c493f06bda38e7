using PlProxy.Client.Scaffold.Catalog;

namespace PlProxy.Client.Scaffold.Mapping;

/// <summary>
/// Maps PostgreSQL types to the C# types PlProxy.Client's generator reads and writes, naming the PostgreSQL type
/// with <c>[PgType]</c> wherever the C# type alone would stand for another.
/// </summary>
internal static class TypeMap
{
    // pg_catalog types: the C# type, whether it is a struct, the PostgreSQL type that C# type stands for in the
    // generator, and the type to read results as when casting to that default would change the value.
    private static readonly Dictionary<string, (string Name, bool IsValueType, string Default, string? ReadAs)> BuiltIns = new(StringComparer.Ordinal)
    {
        ["bool"] = ("bool", true, "bool", null),
        ["int2"] = ("short", true, "int2", null),
        ["int4"] = ("int", true, "int4", null),
        ["int8"] = ("long", true, "int8", null),
        ["numeric"] = ("decimal", true, "numeric", null),
        ["float4"] = ("float", true, "float4", null),
        ["float8"] = ("double", true, "float8", null),
        ["text"] = ("string", false, "text", null),
        ["varchar"] = ("string", false, "text", null),
        ["bpchar"] = ("string", false, "text", "bpchar"), // text would drop the padding
        ["name"] = ("string", false, "text", null),
        ["json"] = ("string", false, "text", null),
        ["jsonb"] = ("string", false, "text", null),
        ["uuid"] = ("Guid", true, "uuid", null),
        ["date"] = ("DateOnly", true, "date", null),
        ["time"] = ("TimeOnly", true, "time", null),
        ["timestamptz"] = ("DateTime", true, "timestamptz", null),
        ["timestamp"] = ("DateTime", true, "timestamptz", "timestamp"), // timestamptz would shift it by the session time zone
        ["interval"] = ("TimeSpan", true, "interval", null),
        ["bytea"] = ("byte[]", false, "bytea", null),
    };

    private static readonly string Supported = string.Join(", ", BuiltIns.Keys) + ", their domains, enums and one-dimensional arrays";

    /// <summary>The C# type of <paramref name="type"/>, or the reason it has none.</summary>
    public static TypeMapping Map(CatalogType type)
    {
        switch (type.Kind)
        {
            case 'd':
                TypeMapping inner = Map(type.BaseType!);
                return inner.Type is { } baseType
                    ? inner with { Type = baseType with { Note = Join($"domain {type.Display} over {type.BaseType!.Display}: its checks run on the partition", baseType.Note) } }
                    : TypeMapping.Unsupported($"domain {type.Display}: {inner.Reason}");

            case 'e':
                return new TypeMapping(new ClrType("string", false, type.Display, Note: $"enum {type.Display}: passed and returned as its label"), "", "text");

            case 'c':
                return TypeMapping.Unsupported($"composite type {type.Display} as an argument or inside an array or a column");

            case 'p':
                return TypeMapping.Unsupported($"{type.Display} is a pseudo-type (polymorphic or internal); a C# method needs a concrete type");

            case 'r' or 'm':
                return TypeMapping.Unsupported($"range type {type.Display} has no C# mapping (supported: {Supported})");
        }

        if (type.Element is { } element)
        {
            TypeMapping elementMapping = Map(element);
            if (elementMapping.Type is not { } elementType)
            {
                return TypeMapping.Unsupported($"array {type.Display}: {elementMapping.Reason}");
            }

            if (elementType.Name.EndsWith("[]", StringComparison.Ordinal))
            {
                return TypeMapping.Unsupported($"array {type.Display} of {element.Display}: arrays of byte arrays are not supported");
            }

            string? pgType = elementType.PgType is { } elementPgType ? elementPgType + "[]" : null;
            string? readAs = elementType.ResultPgType is { } elementReadAs ? elementReadAs + "[]" : null;
            return new TypeMapping(new ClrType(elementType.Name + "[]", false, pgType, readAs, elementType.Note), "", elementMapping.DefaultPgType + "[]");
        }

        if (type.IsBuiltIn && BuiltIns.TryGetValue(type.Name, out var builtIn))
        {
            // Name the PostgreSQL type where it differs from the one the C# type stands for.
            string? pgType = type.Name == builtIn.Default ? null : type.Name;
            return new TypeMapping(new ClrType(builtIn.Name, builtIn.IsValueType, pgType, builtIn.ReadAs), "", builtIn.Default);
        }

        return TypeMapping.Unsupported($"type {type.Display} has no C# mapping (supported: {Supported})");
    }

    private static string? Join(string? first, string? second) =>
        first is null ? second : second is null ? first : $"{first}; {second}";
}

using PlProxy.Client.Language;
using PlProxy.Client.Tool.Scaffolding.Catalog;

namespace PlProxy.Client.Tool.Scaffolding.Mapping;

/// <summary>
/// Maps PostgreSQL types to the C# types PlProxy.Client's generator reads and writes, naming the PostgreSQL type
/// with <c>[PgType]</c> wherever the C# type alone would stand for another.
/// </summary>
internal static class TypeMap
{
    // pg_catalog types: the .NET type to map them to, and the type to read results as when casting to the PostgreSQL
    // type that .NET type stands for in the generator would change the value. That default comes from the one
    // CLR <-> PostgreSQL table the generator and the runtime use (ClrTypeMap), so the three cannot drift apart.
    private static readonly Dictionary<string, (Type Clr, string? ReadAs)> BuiltIns = new(StringComparer.Ordinal)
    {
        ["bool"] = (typeof(bool), null),
        ["int2"] = (typeof(short), null),
        ["int4"] = (typeof(int), null),
        ["int8"] = (typeof(long), null),
        ["numeric"] = (typeof(decimal), null),
        ["float4"] = (typeof(float), null),
        ["float8"] = (typeof(double), null),
        ["text"] = (typeof(string), null),
        ["varchar"] = (typeof(string), null),
        ["bpchar"] = (typeof(string), "bpchar"), // text would drop the padding
        ["name"] = (typeof(string), null),
        ["json"] = (typeof(string), null),
        ["jsonb"] = (typeof(string), null),
        ["uuid"] = (typeof(Guid), null),
        ["date"] = (typeof(DateOnly), null),
        ["time"] = (typeof(TimeOnly), null),
        ["timestamptz"] = (typeof(DateTime), null),
        ["timestamp"] = (typeof(DateTime), "timestamp"), // timestamptz would shift it by the session time zone
        ["interval"] = (typeof(TimeSpan), null),
        ["bytea"] = (typeof(byte[]), null),
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
            string clrName = builtIn.Clr.FullName!;
            string standsFor = ClrTypeMap.ScalarPgType(clrName)!;
            string? pgType = type.Name == standsFor ? null : type.Name;
            return new TypeMapping(new ClrType(ClrTypeMap.CSharpName(clrName)!, builtIn.Clr.IsValueType, pgType, builtIn.ReadAs), "", standsFor);
        }

        return TypeMapping.Unsupported($"type {type.Display} has no C# mapping (supported: {Supported})");
    }

    private static string? Join(string? first, string? second) =>
        first is null ? second : second is null ? first : $"{first}; {second}";
}

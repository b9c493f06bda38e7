using PlProxy.Client.Language;
using PlProxy.Client.Tool.Scaffolding.Catalog;
using PlProxy.Client.Tool.Scaffolding.Mapping;

namespace PlProxy.Client.Scaffold.Tests.Mapping;

public sealed class TypeMapTests
{
    public static TheoryData<string> BuiltInTypes =>
    [
        "bool", "int2", "int4", "int8", "numeric", "float4", "float8", "text", "varchar", "bpchar", "name", "json", "jsonb",
        "uuid", "date", "time", "timestamptz", "timestamp", "interval", "bytea",
    ];

    [Theory]
    [MemberData(nameof(BuiltInTypes))]
    public void Map_BuiltInType_DeclaresTheSamePostgresTypeThroughTheGenerator(string pgType)
    {
        TypeMapping mapping = TypeMap.Map(BuiltIn(pgType));

        // What the generator makes of the scaffolded C# type: its own table's type, unless [PgType] names another.
        ClrType clr = mapping.Type!;
        Assert.Equal(pgType, clr.DeclaredPgType(mapping.DefaultPgType));
        Assert.Equal(mapping.DefaultPgType, ClrTypeMap.ScalarPgType(FullName(clr.Name)));
    }

    [Fact]
    public void Map_ArrayOfBuiltIn_DeclaresTheArrayTypeThroughTheGenerator()
    {
        TypeMapping mapping = TypeMap.Map(new CatalogType(1015, "pg_catalog", "_varchar", "varchar[]", 'b', BuiltIn("varchar"), null, []));

        Assert.Equal("string[]", mapping.Type!.Name);
        Assert.Equal("varchar[]", mapping.Type.DeclaredPgType(mapping.DefaultPgType));
    }

    private static CatalogType BuiltIn(string name) => new(0, "pg_catalog", name, name, 'b', null, null, []);

    private static string FullName(string csharp) => csharp switch
    {
        "bool" => "System.Boolean",
        "short" => "System.Int16",
        "int" => "System.Int32",
        "long" => "System.Int64",
        "decimal" => "System.Decimal",
        "float" => "System.Single",
        "double" => "System.Double",
        "string" => "System.String",
        "byte[]" => "System.Byte[]",
        _ => "System." + csharp,
    };
}

using PlProxy.Client.Language;
using PlProxy.Client.Tool.Scaffolding.Catalog;

namespace PlProxy.Client.Tool.Scaffolding.Mapping;

/// <summary>How scaffolded methods are grouped into interfaces.</summary>
internal enum ScaffoldGrouping
{
    /// <summary>One interface per cluster (and one for CONNECT functions).</summary>
    Cluster,

    /// <summary>One interface per schema.</summary>
    Schema,
}

/// <summary>
/// Turns proxy functions into methods: parameters and result mapped from the catalog, the body checked by the same
/// parser and binder the generator uses, a TARGET added where the method name would not map back to the function,
/// names kept unique per interface. What cannot be mapped is returned with the reason.
/// </summary>
internal sealed class FunctionMapper(ScaffoldGrouping grouping, IReadOnlyList<PortedFunction>? ported = null)
{
    private const string ConnectGroup = "connect";

    // Scaffolded interfaces carry [PlProxy("")]: every method brings its function's whole body.
    private static readonly BodySyntax EmptyInterfaceBody = Parser.Parse("");
    private readonly Dictionary<uint, ScaffoldRecord> _typeRecords = [];
    private readonly HashSet<string> _typeNames = new(StringComparer.Ordinal);
    private readonly HashSet<string> _methodKeys = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<PortedFunction> _ported = ported ?? [];
    private readonly FunctionCatalog _catalog = new([.. (ported ?? []).Select(p => p.Definition)]);

    /// <summary>Maps <paramref name="function"/>; exactly one of the results is non-null.</summary>
    public (ScaffoldMethod? Method, UnmappedFunction? Unmapped) Map(CatalogFunction function)
    {
        try
        {
            return (MapOrThrow(function), null);
        }
        catch (UnmappableException e)
        {
            return (null, new UnmappedFunction(function, e.Message));
        }
    }

    private ScaffoldMethod MapOrThrow(CatalogFunction function)
    {
        var notes = new List<string>();
        List<ScaffoldParameter> parameters = Parameters(function, notes, out string[] signatureTypes);

        // The body must parse and bind as the generator will bind it.
        BoundFunction bound = Bind(function, Parser.Parse(function.Body), function.Name, parameters, signatureTypes, _catalog);
        (string returnType, string? returnPgType, ScaffoldRecord? record, List<(string Name, string Type)>? pendingRecord) = Result(function, notes);
        string group = grouping == ScaffoldGrouping.Schema ? function.Schema
            : bound.Location == LocationKind.ClusterName ? bound.ClusterName! : ConnectGroup;

        string methodName = UniqueMethodName(group, CSharpNames.Pascal(function.Name), parameters);
        string finalBody = function.Body;
        string? target = null;
        if (bound.Target is null && bound.Select is null)
        {
            string remote = function.Schema == "public" ? function.Name : $"{function.Schema}.{function.Name}";
            if (SqlNames.FromMethodName(methodName) != remote)
            {
                if (!CSharpNames.IsPlainSqlName(function.Schema) || !CSharpNames.IsPlainSqlName(function.Name))
                {
                    throw new UnmappableException($"the method {methodName} needs TARGET {remote}, but the name needs quoting, which TARGET does not take");
                }

                target = remote;
                finalBody = WithTarget(function.Body, remote);
                bound = Bind(function, Parser.Parse(finalBody), SqlNames.FromMethodName(methodName), parameters, signatureTypes, _catalog);
            }
        }

        if (pendingRecord is not null)
        {
            record = AddRecord(methodName[..^"Async".Length] + "Result", $"the OUT parameters of {function.Signature}", pendingRecord, null);
            returnType = returnType.Replace("{record}", record.Name, StringComparison.Ordinal);
        }

        _methodKeys.Add(MethodKey(group, methodName, parameters));
        string[] called = [.. Called(bound.Hash).Concat(Called(bound.LocationExpression))];
        return new ScaffoldMethod(function, group, methodName, finalBody, target, parameters, returnType, returnPgType, record,
            bound.Location == LocationKind.ClusterName ? bound.ClusterName : null, notes)
        {
            Functions = [.. _ported.Where(p => called.Contains(p.SqlName, StringComparer.OrdinalIgnoreCase))],
        };
    }

    private static List<ScaffoldParameter> Parameters(CatalogFunction function, List<string> notes, out string[] signatureTypes)
    {
        var parameters = new List<ScaffoldParameter>();
        var types = new List<string>();
        int position = 0;
        foreach (CatalogArgument argument in function.Inputs)
        {
            position++;
            if (argument.Mode == 'v')
            {
                throw new UnmappableException($"VARIADIC argument ${position}: pass an array parameter instead");
            }

            string name = argument.Name.Length == 0 ? $"arg{position}" : argument.Name;
            if (!CSharpNames.IsIdentifier(name))
            {
                throw new UnmappableException($"argument \"{argument.Name}\" is not a C# identifier");
            }

            TypeMapping mapping = TypeMap.Map(argument.Type);
            ClrType type = mapping.Type ?? throw new UnmappableException($"argument {name}: {mapping.Reason}");
            if (type.Note is { } note)
            {
                notes.Add($"{name}: {note}");
            }

            parameters.Add(new ScaffoldParameter(name, type.Name, type.PgType));
            types.Add(type.DeclaredPgType(mapping.DefaultPgType));
        }

        signatureTypes = [.. types];
        return parameters;
    }

    // The C# return type ({record} stands for a record named after the method, made once the name is known).
    private (string ReturnType, string? ReturnPgType, ScaffoldRecord? Record, List<(string Name, string Type)>? PendingRecord) Result(CatalogFunction function, List<string> notes)
    {
        CatalogType type = function.ReturnType;
        var outputs = function.Outputs.ToList();
        if (type.Kind == 'p' && type.Name == "void")
        {
            return function.ReturnsSet ? throw new UnmappableException("SETOF void") : ("Task", null, null, null);
        }

        if (type.Kind == 'p' && type.Name == "record")
        {
            if (outputs.Count == 0)
            {
                throw new UnmappableException("RECORD without a column list: each caller names the columns in its SQL; a C# method needs them fixed (declare OUT parameters or a composite type)");
            }

            var columns = new List<(string Name, string Type)>();
            foreach (CatalogArgument output in outputs)
            {
                if (output.Name.Length == 0)
                {
                    throw new UnmappableException("an OUT parameter without a name: its column cannot be read by name");
                }

                columns.Add(Column(output.Name, output.Type, notNull: false, $"OUT parameter {output.Name}", notes));
            }

            CheckDistinct(columns, "the OUT parameters");
            return (Shape(function, "{record}", isRecord: true), null, null, columns);
        }

        if (type.Kind == 'c')
        {
            ScaffoldRecord record = RecordOf(type, notes);
            return (Shape(function, record.Name, isRecord: true), null, record, null);
        }

        TypeMapping mapping = TypeMap.Map(type);
        ClrType clr = mapping.Type ?? throw new UnmappableException($"result: {mapping.Reason}");
        if (clr.Note is { } note)
        {
            notes.Add($"result: {note}");
        }

        return (Shape(function, clr.Nullable, isRecord: false), clr.ResultPgType, null, null);
    }

    private static string Shape(CatalogFunction function, string type, bool isRecord) =>
        function.ReturnsSet ? $"Task<IReadOnlyList<{type}>>" : isRecord ? $"Task<{type}?>" : $"Task<{type}>";

    private ScaffoldRecord RecordOf(CatalogType type, List<string> notes)
    {
        if (_typeRecords.TryGetValue(type.Oid, out ScaffoldRecord? known))
        {
            return known;
        }

        var columns = new List<(string Name, string Type)>();
        foreach (CatalogColumn column in type.Columns)
        {
            columns.Add(Column(column.Name, column.Type, column.NotNull, $"column {column.Name} of {type.Display}", notes));
        }

        if (columns.Count == 0)
        {
            throw new UnmappableException($"composite type {type.Display} has no columns");
        }

        CheckDistinct(columns, type.Display);
        ScaffoldRecord record = AddRecord(CSharpNames.Pascal(type.Name), $"composite type {type.Display}", columns, type.Oid);
        return record;
    }

    private ScaffoldRecord AddRecord(string name, string source, List<(string Name, string Type)> columns, uint? oid)
    {
        if (!CSharpNames.IsIdentifier(name))
        {
            name = "Row" + name;
        }

        // A member may not share its type's name; nor may two records.
        string unique = name;
        for (int n = 2; _typeNames.Contains(unique) || columns.Any(c => c.Name == unique); n++)
        {
            unique = name + (columns.Any(c => c.Name == name) && n == 2 ? "Row" : n.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var record = new ScaffoldRecord(unique, source, columns);
        _typeNames.Add(unique);
        if (oid is { } typeOid)
        {
            _typeRecords[typeOid] = record;
        }

        return record;
    }

    private static (string Name, string Type) Column(string name, CatalogType type, bool notNull, string what, List<string> notes)
    {
        string property = CSharpNames.Pascal(name);
        if (!CSharpNames.IsIdentifier(property))
        {
            throw new UnmappableException($"{what}: no C# property name reads a column named \"{name}\"");
        }

        TypeMapping mapping = TypeMap.Map(type);
        ClrType clr = mapping.Type ?? throw new UnmappableException($"{what}: {mapping.Reason}");
        if (clr.ResultPgType is not null)
        {
            throw new UnmappableException($"{what}: a {type.Display} column would be read as {mapping.DefaultPgType}, which changes its value");
        }

        if (clr.Note is { } note)
        {
            notes.Add($"{property}: {note}");
        }

        return (property, notNull ? clr.Name : clr.Nullable);
    }

    private static void CheckDistinct(List<(string Name, string Type)> columns, string what)
    {
        foreach (var group in columns.GroupBy(c => c.Name.Replace("_", "", StringComparison.Ordinal), StringComparer.OrdinalIgnoreCase))
        {
            if (group.Count() > 1)
            {
                throw new UnmappableException($"{what}: columns {string.Join(" and ", group.Select(c => c.Name))} would read the same column (names match without case and underscores)");
            }
        }
    }

    // The functions (not built-ins) an expression calls, by name.
    private static IEnumerable<string> Called(BoundExpression? expression) => expression switch
    {
        CallExpression { Builtin: BuiltinFunction.None } call => call.Arguments.SelectMany(Called).Prepend(call.Name),
        CallExpression call => call.Arguments.SelectMany(Called),
        CastExpression cast => Called(cast.Operand),
        _ => [],
    };

    private static BoundFunction Bind(CatalogFunction function, BodySyntax body, string name, List<ScaffoldParameter> parameters, string[] types, FunctionCatalog catalog)
    {
        if (!body.IsValid)
        {
            throw new UnmappableException($"the body does not parse: {string.Join("; ", body.Diagnostics)}");
        }

        var signature = new FunctionSignature(
            name,
            new EquatableArray<ParameterSignature>([.. parameters.Select((p, i) => new ParameterSignature(p.Name, PgType.Parse(types[i])))]),
            function.ReturnsSet);
        BindResult result = Binder.Bind(EmptyInterfaceBody, body, methodReplacesInterface: false, signature, catalog);
        return result.Succeeded
            ? result.Function!
            : throw new UnmappableException(string.Join("; ", result.Diagnostics.Select(d => $"{d.Id}: {d}")));
    }

    private string UniqueMethodName(string group, string pascal, List<ScaffoldParameter> parameters)
    {
        string baseName = CSharpNames.IsIdentifier(pascal) ? pascal : throw new UnmappableException("the function name does not make a C# method name");
        string name = baseName + "Async";
        for (int n = 2; _methodKeys.Contains(MethodKey(group, name, parameters)); n++)
        {
            name = $"{baseName}{n}Async";
        }

        return name;
    }

    // Overloads may share a name when their C# parameter types differ.
    private static string MethodKey(string group, string name, List<ScaffoldParameter> parameters) =>
        $"{group}\n{name}({string.Join(",", parameters.Select(p => p.Type))})";

    // The body with a TARGET statement after its last line, indented as that line is.
    private static string WithTarget(string body, string target)
    {
        string trimmed = body.TrimEnd();
        int lineStart = trimmed.LastIndexOf('\n') + 1;
        string indent = new([.. trimmed[lineStart..].TakeWhile(c => c is ' ' or '\t')]);
        string trailing = body[trimmed.Length..];
        return lineStart == 0
            ? $"{trimmed} target {target};{trailing}"
            : $"{trimmed}\n{indent}target {target};{trailing}";
    }

    private sealed class UnmappableException(string message) : Exception(message);
}

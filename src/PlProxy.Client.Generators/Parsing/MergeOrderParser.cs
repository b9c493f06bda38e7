using Microsoft.CodeAnalysis;
using PlProxy.Client.Generators.Model;
using PlProxy.Client.Language;

namespace PlProxy.Client.Generators.Parsing;

/// <summary>A method's <c>[MergeOrder]</c> and <c>[Limit]</c>, checked as a merge can honour them exactly (PLPX0009 otherwise).</summary>
internal static class MergeOrderParser
{
    // [MergeOrder] and [Limit]: the order read as the runtime reads it, each key a column of the row type whose type a
    // merge orders exactly as PostgreSQL does; or what is wrong.
    public static (string? Order, string? Limit, string? Problem) Parse(IMethodSymbol method, ReturnShape shape, ResultModel? result, RunKind run)
    {
        AttributeData? merge = method.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == "PlProxy.Client.MergeOrderAttribute");
        IParameterSymbol? limit = method.Parameters.FirstOrDefault(p => InterfaceParser.HasAttribute(p, "PlProxy.Client.LimitAttribute"));
        if (merge is null)
        {
            return limit is null ? (null, null, null) : (null, null, $"[Limit] on '{limit.Name}' bounds a merged result: give the method [MergeOrder] too");
        }

        string text = merge.ConstructorArguments.FirstOrDefault().Value as string ?? "";
        if (run != RunKind.All)
        {
            return (null, null, $"[MergeOrder(\"{text}\")] merges the rows of RUN ON ALL, but this method runs on one partition");
        }

        if (shape is not (ReturnShape.TaskOfList or ReturnShape.ValueTaskOfList or ReturnShape.Stream) || result is null)
        {
            return (null, null, $"[MergeOrder(\"{text}\")] needs a stream or a list of rows");
        }

        MergeKey[]? keys = MergeOrder.Parse(text, out string? error);
        if (keys is null)
        {
            return (null, null, $"[MergeOrder(\"{text}\")] cannot be read: {error}");
        }

        if (result.ScalarPgType is not null && keys.Length != 1)
        {
            return (null, null, $"[MergeOrder(\"{text}\")] orders a scalar result: name its one column (the function's)");
        }

        foreach (MergeKey key in keys)
        {
            // A scalar result's one column is the function's (checked at run time); a row type's, a member's.
            ColumnModel? column = result.ScalarPgType is not null
                ? new ColumnModel(key.Column, "", false, result.TypeDisplay)
                : result.Columns.FirstOrDefault(c => SqlNames.SameColumn(key.Column, c.Name));
            if (column is null)
            {
                return (null, null, $"[MergeOrder(\"{text}\")] orders by '{key.Column}', which no member of '{result.TypeDisplay}' takes");
            }

            if (!OrderableTypes.Contains(column.TypeDisplay))
            {
                return (null, null, $"[MergeOrder(\"{text}\")] orders by '{key.Column}' of type '{column.TypeDisplay}', which a merge cannot order exactly as PostgreSQL does (integers, decimal, float, double, bool, Guid, byte[], dates and times, TimeSpan, string)");
            }

            if (key.Collation is { } collation && !MergeOrder.IsByteOrder(collation))
            {
                return (null, null, $"[MergeOrder(\"{text}\")] orders '{key.Column}' by collation \"{collation}\", whose order a merge cannot reproduce; only a byte order (COLLATE \"C\") can be merged exactly");
            }
        }

        if (limit is not null && limit.Type.ToDisplayString() is not ("int" or "long" or "int?" or "long?"))
        {
            return (null, null, $"[Limit] on '{limit.Name}' must be an int or a long, not '{limit.Type.ToDisplayString()}'");
        }

        return (text, limit?.Name, null);
    }

    private static readonly HashSet<string> OrderableTypes = new(StringComparer.Ordinal)
    {
        "short", "int", "long", "decimal", "float", "double", "bool", "global::System.Guid", "byte[]", "global::System.DateTime",
        "global::System.DateTimeOffset", "global::System.DateOnly", "global::System.TimeOnly", "global::System.TimeSpan", "string",
        "global::NpgsqlTypes.NpgsqlInterval",
        "short?", "int?", "long?", "decimal?", "float?", "double?", "bool?", "global::System.Guid?", "byte[]?", "global::System.DateTime?",
        "global::System.DateTimeOffset?", "global::System.DateOnly?", "global::System.TimeOnly?", "global::System.TimeSpan?", "string?",
        "global::NpgsqlTypes.NpgsqlInterval?",
    };
}

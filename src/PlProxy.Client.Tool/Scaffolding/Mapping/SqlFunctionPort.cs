using System.Globalization;
using System.Text.RegularExpressions;
using PlProxy.Client.Language;
using PlProxy.Client.Tool.Scaffolding.Catalog;

namespace PlProxy.Client.Tool.Scaffolding.Mapping;

/// <summary>A hash function of the proxy database ported to a static C# method of the interface.</summary>
/// <param name="SqlName">The name bodies call it by.</param>
/// <param name="Definition">Its signature, for binding the bodies that call it.</param>
/// <param name="Source">The C# method, attribute included (four-space indented member).</param>
/// <param name="Signature">The SQL function's signature, for the method's documentation.</param>
internal sealed record PortedFunction(string SqlName, UserFunction Definition, string Source, string Signature);

/// <summary>
/// Ports the proxy database's SQL-language hash functions whose body is a plain expression over built-ins the client
/// evaluates exactly (hashtext, hashtextextended, hashint2/4/8, hashint8extended, uuid_hash, <c>||</c>, casts) — a
/// scalar <c>select &lt;expr&gt;</c>, or a set <c>select &lt;expr&gt; from unnest(array) alias</c> — to the
/// <c>[HashFunction]</c> method that computes the same. The expression is parsed and bound by the runtime's own parser
/// and binder, so what is ported is what the client would evaluate. Anything else is not ported (the proxy functions
/// that call it stay in the report).
/// </summary>
internal static partial class SqlFunctionPort
{
    private const string PgHash = "global::PlProxy.Client.Hashing.PgHash";

    [GeneratedRegex(@"^\s*select\s+(?<expr>.+?)\s+from\s+unnest\s*\(\s*(?<array>[a-z_][a-z0-9_]*)\s*\)\s+(?:as\s+)?(?<alias>[a-z_][a-z0-9_]*)\s*;?\s*$", RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex UnnestBody();

    [GeneratedRegex(@"^\s*select\s+(?<expr>.+?)\s*;?\s*$", RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex ScalarBody();

    /// <summary>
    /// The port of <paramref name="function"/>, or null with <paramref name="reason"/>. <paramref name="otherTextEncoding"/>:
    /// the proxy database's encoding when text hashed there differs from UTF-8 (then a text hash is not ported).
    /// </summary>
    public static PortedFunction? TryPort(CatalogFunction function, string? otherTextEncoding, out string reason)
    {
        reason = "";
        string? result = function.ReturnType is { IsBuiltIn: true, Name: "int2" or "int4" or "int8" } type ? type.Name : null;
        if (result is null || function.Outputs.Any())
        {
            reason = "a hash function returns int2, int4 or int8";
            return null;
        }

        var parameters = new List<(string Name, string PgType, string Clr, string? Override)>();
        foreach (CatalogArgument argument in function.Inputs)
        {
            TypeMapping mapping = TypeMap.Map(argument.Type);
            if (argument.Name.Length == 0 || mapping.Type is not { } clr || !CSharpNames.IsIdentifier(argument.Name))
            {
                reason = $"argument {argument.Name}: {(mapping.Type is null ? mapping.Reason : "needs a name that is a C# identifier")}";
                return null;
            }

            parameters.Add((argument.Name, clr.DeclaredPgType(mapping.DefaultPgType), clr.Name, clr.PgType));
        }

        Match unnest = UnnestBody().Match(function.Body);
        Match scalar = ScalarBody().Match(function.Body);
        string expression = unnest.Success ? unnest.Groups["expr"].Value : scalar.Success ? scalar.Groups["expr"].Value : "";
        int arrayIndex = unnest.Success ? parameters.FindIndex(p => string.Equals(p.Name, unnest.Groups["array"].Value, StringComparison.OrdinalIgnoreCase)) : -1;
        if (expression.Length == 0 || (unnest.Success && (arrayIndex < 0 || !parameters[arrayIndex].PgType.EndsWith("[]", StringComparison.Ordinal))))
        {
            reason = "its body is not a plain select of an expression (or of one over unnest(array))";
            return null;
        }

        if (function.ReturnsSet != unnest.Success)
        {
            reason = function.ReturnsSet ? "it returns a set, but not over unnest(array)" : "it selects over unnest(array) but does not return a set";
            return null;
        }

        // The expression is bound as a RUN ON expression over the function's arguments (and the unnest alias, an element).
        var signature = new List<ParameterSignature>(parameters.Select(p => new ParameterSignature(p.Name, PgType.Parse(p.PgType))));
        string? alias = unnest.Success ? unnest.Groups["alias"].Value : null;
        if (alias is not null)
        {
            signature.Add(new ParameterSignature(alias, PgType.Parse(parameters[arrayIndex].PgType).Element));
        }

        BindResult bound = Binder.Bind(
            Parser.Parse($"cluster 'port'; run on {expression};"),
            new FunctionSignature(function.Name, new EquatableArray<ParameterSignature>([.. signature]), false));
        if (!bound.Succeeded || bound.Function!.Hash is not { } hash)
        {
            reason = $"its expression is not one the client evaluates: {string.Join("; ", bound.Diagnostics)}";
            return null;
        }

        string[] names = [.. signature.Select(p => CSharpNames.Escape(p.Name))];
        if (!TryTranslate(hash, names, otherTextEncoding, out string code, out reason))
        {
            return null;
        }

        string resultClr = result switch { "int2" => "short", "int4" => "int", _ => "long" };
        string method = CSharpNames.Pascal(function.Name);
        int[] referenced = [.. Arguments(hash).Distinct().Order()];
        string Checked(IEnumerable<int> indexes, string value) =>
            indexes.Any() ? $"{string.Join(" || ", indexes.Select(i => $"{names[i]} is null"))} ? null : ({resultClr}?){value}" : $"({resultClr}?){value}";

        string source;
        string[] declared = [.. parameters.Select((p, i) => $"{(p.Override is { } pgType ? $"[PgType(\"{pgType}\")] " : "")}{Nullable(p.Clr, p.PgType)} {names[i]}")];
        if (alias is null)
        {
            source = $"static {resultClr}? {method}({string.Join(", ", declared)}) =>\n        {Checked(referenced, code)};";
        }
        else
        {
            string element = names[^1];
            string outer = string.Join(" || ", referenced.Where(i => i < parameters.Count && i != arrayIndex).Select(i => $"{names[i]} is null").Prepend($"{names[arrayIndex]} is null"));
            source = $"static global::System.Collections.Generic.IEnumerable<{resultClr}?> {method}({string.Join(", ", declared)}) =>\n"
                + $"        {outer} ? global::System.Linq.Enumerable.Empty<{resultClr}?>() : global::System.Linq.Enumerable.Select({names[arrayIndex]}, {element} => {Checked(referenced.Where(i => i == parameters.Count), code)});";
        }

        var definition = new UserFunction(function.Name, new EquatableArray<PgType>([.. parameters.Select(p => PgType.Parse(p.PgType))]), PgType.Parse(result), function.ReturnsSet);
        return new PortedFunction(function.Name, definition, $"[HashFunction(\"{function.Name}\")]\n    {source}", function.Signature);
    }

    // A C# string literal: printable ASCII as it is, everything else escaped.
    private static string StringLiteral(string text) =>
        "\"" + string.Concat(text.Select(c => c is >= ' ' and <= '~' and not ('"' or '\\') ? c.ToString() : $"\\u{(int)c:x4}")) + "\"";

    // A parameter in the form that admits NULL, as a SQL function's arguments do (arrays of nullable elements too).
    private static string Nullable(string clr, string pgType) =>
        pgType.EndsWith("[]", StringComparison.Ordinal) ? $"{clr[..^2]}?[]?" : clr + "?";

    private static IEnumerable<int> Arguments(BoundExpression expression) => expression switch
    {
        ArgumentExpression argument => [argument.ParameterIndex],
        CallExpression call => call.Arguments.SelectMany(Arguments),
        CastExpression cast => Arguments(cast.Operand),
        _ => [],
    };

    // C# for a bound expression whose arguments are known not to be NULL (every operator here is strict).
    private static bool TryTranslate(BoundExpression expression, string[] names, string? otherTextEncoding, out string code, out string reason)
    {
        reason = "";
        code = "";
        switch (expression)
        {
            case ArgumentExpression argument:
                // Checked for NULL before: a reference stays as it is, a nullable value gives its value.
                code = argument.Type.Kind == PgTypeKind.Text ? names[argument.ParameterIndex] + "!" : names[argument.ParameterIndex] + ".Value";
                return true;
            case LiteralExpression { IsNull: false } literal:
                code = literal.Type.IsInteger ? literal.Integer.ToString(CultureInfo.InvariantCulture) + "L" : StringLiteral(literal.Text ?? "");
                return true;
            case CastExpression cast when TryTranslate(cast.Operand, names, otherTextEncoding, out string operand, out reason):
                code = cast.Type.Kind switch
                {
                    PgTypeKind.Int2 => $"checked((short)({operand}))",
                    PgTypeKind.Int4 => $"checked((int)({operand}))",
                    PgTypeKind.Int8 => $"((long)({operand}))",
                    _ when cast.Operand.Type.IsInteger => $"({operand}).ToString(global::System.Globalization.CultureInfo.InvariantCulture)",
                    _ => operand,
                };
                return true;
            case CallExpression call:
                var arguments = new List<string>();
                foreach (BoundExpression argument in call.Arguments)
                {
                    if (!TryTranslate(argument, names, otherTextEncoding, out string translated, out reason))
                    {
                        return false;
                    }

                    arguments.Add(call.Builtin == BuiltinFunction.Concat && argument.Type.IsInteger
                        ? $"({translated}).ToString(global::System.Globalization.CultureInfo.InvariantCulture)"
                        : translated);
                }

                if (otherTextEncoding is not null && call.Builtin is BuiltinFunction.HashText or BuiltinFunction.HashTextExtended)
                {
                    reason = $"{call.Name}() in this {otherTextEncoding} proxy database hashed text's {otherTextEncoding} bytes, which the client (UTF-8) reproduces for ASCII text only; write the method by hand if the keys are ASCII";
                    return false;
                }

                string? port = call.Builtin switch
                {
                    BuiltinFunction.HashText => $"{PgHash}.HashText({arguments[0]})",
                    BuiltinFunction.HashTextExtended => $"{PgHash}.HashTextExtended({arguments[0]}, {arguments[1]})",
                    BuiltinFunction.HashInt2 => $"{PgHash}.HashInt2(checked((short)({arguments[0]})))",
                    BuiltinFunction.HashInt4 => $"{PgHash}.HashInt4(checked((int)({arguments[0]})))",
                    BuiltinFunction.HashInt8 => $"{PgHash}.HashInt8({arguments[0]})",
                    BuiltinFunction.HashInt8Extended => $"{PgHash}.HashInt8Extended({arguments[0]}, {arguments[1]})",
                    BuiltinFunction.UuidHash => $"{PgHash}.HashUuid({arguments[0]})",
                    BuiltinFunction.Concat => $"string.Concat({arguments[0]}, {arguments[1]})",
                    _ => null,
                };
                if (port is null)
                {
                    reason = call.Builtin is BuiltinFunction.Lower or BuiltinFunction.Upper
                        ? $"{call.Name}() depends on the proxy database's locale; write the method by hand for your collation"
                        : $"{call.Name}() has no port";
                    return false;
                }

                code = port;
                return true;
            default:
                reason = "a NULL literal";
                return false;
        }
    }
}

using System.Collections.Generic;

namespace PlProxy.Client.Language;

/// <summary>
/// Resolves function calls, the <c>||</c> operator and casts in RUN ON, CLUSTER and CONNECT the way PostgreSQL
/// would resolve them: the built-in functions the client evaluates exactly, with PostgreSQL's implicit widening of
/// integers and untyped literals, then the application's registered functions.
/// </summary>
internal static class Functions
{
    private sealed record Builtin(BuiltinFunction Function, PgType[] Parameters, PgType Result);

    private static readonly Dictionary<string, Builtin> Builtins = new(StringComparer.OrdinalIgnoreCase)
    {
        ["hashtext"] = new(BuiltinFunction.HashText, new[] { PgType.Text }, PgType.Int4),
        ["hashtextextended"] = new(BuiltinFunction.HashTextExtended, new[] { PgType.Text, PgType.Int8 }, PgType.Int8),
        ["hashint2"] = new(BuiltinFunction.HashInt2, new[] { PgType.Int2 }, PgType.Int4),
        ["hashint4"] = new(BuiltinFunction.HashInt4, new[] { PgType.Int4 }, PgType.Int4),
        ["hashint8"] = new(BuiltinFunction.HashInt8, new[] { PgType.Int8 }, PgType.Int4),
        ["hashint8extended"] = new(BuiltinFunction.HashInt8Extended, new[] { PgType.Int8, PgType.Int8 }, PgType.Int8),
        ["uuid_hash"] = new(BuiltinFunction.UuidHash, new[] { PgType.Uuid }, PgType.Int4),
        ["ascii"] = new(BuiltinFunction.Ascii, new[] { PgType.Text }, PgType.Int4),
        ["lower"] = new(BuiltinFunction.Lower, new[] { PgType.Text }, PgType.Text),
        ["upper"] = new(BuiltinFunction.Upper, new[] { PgType.Text }, PgType.Text),
    };

    /// <summary>Resolves a call of <paramref name="name"/> (or the operator <c>||</c>) with the given arguments.</summary>
    /// <exception cref="BindingException">No function of that name takes these arguments.</exception>
    public static BoundExpression Resolve(string name, SourceSpan span, List<BoundExpression> arguments, IFunctionCatalog catalog)
    {
        if (name == "||")
        {
            return ResolveConcat(span, arguments[0], arguments[1]);
        }

        UserFunction? user = catalog.Find(name);
        if (user is not null)
        {
            CheckArguments(name, span, arguments, user.Parameters.ToArray());
            return new CallExpression(name, BuiltinFunction.None, new EquatableArray<BoundExpression>(Coerced(arguments, user.Parameters.ToArray())), user.ReturnsSet, user.Result);
        }

        string unqualified = name.StartsWith("pg_catalog.", StringComparison.OrdinalIgnoreCase) ? name.Substring("pg_catalog.".Length) : name;

        // Function-style casts: int4(x), text(x) ...
        PgType castType = PgType.Parse(unqualified);
        if (arguments.Count == 1 && castType.Kind is not PgTypeKind.Other && !castType.IsArray && unqualified.IndexOf('(') < 0)
        {
            return Cast(arguments[0], castType, span);
        }

        if (Builtins.TryGetValue(unqualified, out Builtin? builtin))
        {
            CheckArguments(name, span, arguments, builtin.Parameters);
            return new CallExpression(name, builtin.Function, new EquatableArray<BoundExpression>(Coerced(arguments, builtin.Parameters)), false, builtin.Result);
        }

        throw new BindingException(DiagnosticIds.UnknownFunction,
            $"unknown function {name}: it is neither built in ({string.Join(", ", Builtins.Keys)}) nor registered as a hash function",
            span);
    }

    /// <summary>Binds <c>operand::type</c>: between int2, int4 and int8, and from those or text to text.</summary>
    /// <exception cref="BindingException">The cast is not one the client evaluates.</exception>
    public static BoundExpression Cast(BoundExpression operand, PgType target, SourceSpan span)
    {
        bool supported = (target.IsInteger && (operand.Type.IsInteger || IsNullLiteral(operand)))
            || (target.Kind == PgTypeKind.Text && !target.IsArray && (operand.Type.IsInteger || operand.Type.IsTextual || IsBpchar(operand)));
        if (!supported)
        {
            throw new BindingException(DiagnosticIds.UnsupportedExpression,
                $"unsupported expression: a cast from {operand.Type} to {target}; the client evaluates casts between int2, int4 and int8 and to text",
                span);
        }

        return new CastExpression(operand, target);
    }

    private static BoundExpression ResolveConcat(SourceSpan span, BoundExpression left, BoundExpression right)
    {
        // bpchar || text is text || text, the bpchar's trailing spaces dropped by its cast to text.
        left = IsBpchar(left) ? new CastExpression(left, PgType.Text) : left;
        right = IsBpchar(right) ? new CastExpression(right, PgType.Text) : right;
        // text || text, and text || anynonarray (the other side written as text): at least one side must be textual.
        bool ok = (left.Type.IsTextual && (right.Type.IsTextual || right.Type.IsInteger))
            || (right.Type.IsTextual && left.Type.IsInteger);
        if (!ok)
        {
            throw new BindingException(DiagnosticIds.ArgumentTypeMismatch,
                $"operator does not exist: {left.Type} || {right.Type}", span);
        }

        return new CallExpression("||", BuiltinFunction.Concat, new EquatableArray<BoundExpression>(new[] { left, right }), false, PgType.Text);
    }

    private static void CheckArguments(string name, SourceSpan span, List<BoundExpression> arguments, PgType[] parameters)
    {
        bool ok = arguments.Count == parameters.Length;
        for (int i = 0; ok && i < arguments.Count; i++)
        {
            ok = IsImplicitlyConvertible(arguments[i], parameters[i]);
        }

        if (!ok)
        {
            var types = new List<string>();
            foreach (BoundExpression argument in arguments)
            {
                types.Add(argument.Type.Name);
            }

            var expected = new List<string>();
            foreach (PgType parameter in parameters)
            {
                expected.Add(parameter.Name);
            }

            throw new BindingException(DiagnosticIds.ArgumentTypeMismatch,
                $"function {name}({string.Join(", ", types)}) does not exist; {name} takes ({string.Join(", ", expected)})",
                span);
        }
    }

    // The arguments as the function takes them: a bpchar given for text is cast to it (its trailing spaces dropped), as
    // PostgreSQL casts it implicitly; the integer widenings change no value.
    private static BoundExpression[] Coerced(List<BoundExpression> arguments, PgType[] parameters)
    {
        var coerced = new BoundExpression[arguments.Count];
        for (int i = 0; i < coerced.Length; i++)
        {
            coerced[i] = IsBpchar(arguments[i]) && parameters[i].Kind == PgTypeKind.Text && !parameters[i].IsArray ? new CastExpression(arguments[i], PgType.Text) : arguments[i];
        }

        return coerced;
    }

    private static bool IsBpchar(BoundExpression expression) => expression.Type.Kind == PgTypeKind.Bpchar && !expression.Type.IsArray;

    // PostgreSQL's implicit coercions that matter here: int2 → int4 → int8, varchar and bpchar → text, an untyped literal or NULL to anything.
    private static bool IsImplicitlyConvertible(BoundExpression argument, PgType parameter)
    {
        PgType type = argument.Type;
        if (IsNullLiteral(argument) || (type.Kind == PgTypeKind.Unknown && parameter.Kind == PgTypeKind.Text))
        {
            return true;
        }

        if (type.IsArray != parameter.IsArray)
        {
            return false;
        }

        return parameter.Kind switch
        {
            PgTypeKind.Int8 => type.Kind is PgTypeKind.Int2 or PgTypeKind.Int4 or PgTypeKind.Int8,
            PgTypeKind.Int4 => type.Kind is PgTypeKind.Int2 or PgTypeKind.Int4,
            PgTypeKind.Text => type.Kind == PgTypeKind.Text || (type.Kind == PgTypeKind.Bpchar && !type.IsArray),
            PgTypeKind.Other => string.Equals(type.Name, parameter.Name, StringComparison.OrdinalIgnoreCase),
            _ => type.Kind == parameter.Kind,
        };
    }

    private static bool IsNullLiteral(BoundExpression expression) => expression is LiteralExpression { IsNull: true };
}

using System.Globalization;
using PlProxy.Client.Hashing;
using PlProxy.Client.Language;

namespace PlProxy.Client.Planning;

/// <summary>
/// Evaluates bound expressions (RUN ON hashes, CLUSTER and CONNECT functions) over a call's arguments, with the
/// results PostgreSQL would compute. Built-in functions are strict: a NULL argument gives NULL.
/// </summary>
internal static class ExpressionEvaluator
{
    /// <summary>Evaluates <paramref name="expression"/>; split arguments read element <paramref name="row"/>.</summary>
    /// <exception cref="PlProxyException">The evaluation fails as it would in PostgreSQL (an integer out of range, ...) or needs what the cluster does not allow.</exception>
    public static SqlValue Evaluate<TArgs>(BoundExpression expression, in TArgs arguments, int row, ClusterLayout cluster, IUserFunctions? functions)
        where TArgs : IPlanArguments
    {
        switch (expression)
        {
            case ArgumentExpression argument:
                return argument.IsSplitElement
                    ? arguments.GetElement(argument.ParameterIndex, row)
                    : arguments.GetValue(argument.ParameterIndex);

            case LiteralExpression literal:
                return literal.IsNull ? SqlValue.Null
                    : literal.Text is not null ? SqlValue.FromText(literal.Text)
                    : SqlValue.FromInteger(literal.Integer);

            case CastExpression cast:
                return Cast(Evaluate(cast.Operand, arguments, row, cluster, functions), cast.Operand.Type, cast.Type);

            case CallExpression call when call.Builtin == BuiltinFunction.None:
                return InvokeUser(call, arguments, row, cluster, functions);

            case CallExpression call:
                return EvaluateBuiltin(call, arguments, row, cluster, functions);

            default:
                throw new PlProxyException($"Cannot evaluate {expression.GetType().Name}.");
        }
    }

    /// <summary>Evaluates a set-returning user function call at the top of a RUN ON.</summary>
    public static IEnumerable<SqlValue> EvaluateSet<TArgs>(CallExpression call, in TArgs arguments, int row, ClusterLayout cluster, IUserFunctions? functions)
        where TArgs : IPlanArguments
    {
        SqlValue[] values = new SqlValue[call.Arguments.Count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = Evaluate(call.Arguments[i], arguments, row, cluster, functions);
        }

        return RequireFunctions(functions, call.Name).InvokeSet(call.Name, values);
    }

    private static SqlValue InvokeUser<TArgs>(CallExpression call, in TArgs arguments, int row, ClusterLayout cluster, IUserFunctions? functions)
        where TArgs : IPlanArguments
    {
        var values = new SqlValue[call.Arguments.Count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = Evaluate(call.Arguments[i], arguments, row, cluster, functions);
        }

        return RequireFunctions(functions, call.Name).Invoke(call.Name, values);
    }

    private static IUserFunctions RequireFunctions(IUserFunctions? functions, string name) =>
        functions ?? throw new PlProxyException($"Function {name} is not registered.");

    private static SqlValue EvaluateBuiltin<TArgs>(CallExpression call, in TArgs arguments, int row, ClusterLayout cluster, IUserFunctions? functions)
        where TArgs : IPlanArguments
    {
        SqlValue first = Evaluate(call.Arguments[0], arguments, row, cluster, functions);
        SqlValue second = call.Arguments.Count > 1 ? Evaluate(call.Arguments[1], arguments, row, cluster, functions) : default;
        if (first.IsNull || (call.Arguments.Count > 1 && second.IsNull))
        {
            return SqlValue.Null; // every built-in is strict
        }

        switch (call.Builtin)
        {
            case BuiltinFunction.HashText:
                string text = HashedText(first, call, cluster);
                return SqlValue.FromInteger(cluster.HashFlavor == HashFlavor.Legacy83 ? PgHash.LegacyHashText(text) : PgHash.HashText(text));
            case BuiltinFunction.HashTextExtended:
                return SqlValue.FromInteger(PgHash.HashTextExtended(HashedText(first, call, cluster), second.Integer));
            case BuiltinFunction.HashInt2:
                return SqlValue.FromInteger(PgHash.HashInt2((short)first.Integer));
            case BuiltinFunction.HashInt4:
                return SqlValue.FromInteger(PgHash.HashInt4((int)first.Integer));
            case BuiltinFunction.HashInt8:
                return SqlValue.FromInteger(PgHash.HashInt8(first.Integer));
            case BuiltinFunction.HashInt8Extended:
                return SqlValue.FromInteger(PgHash.HashInt8Extended(first.Integer, second.Integer));
            case BuiltinFunction.UuidHash:
                return SqlValue.FromInteger(PgHash.HashUuid(first.Uuid));
            case BuiltinFunction.Ascii:
                return SqlValue.FromInteger(Ascii(HashedText(first, call, cluster)));
            case BuiltinFunction.Lower:
                return SqlValue.FromText(ChangeCase(TextOf(first), upper: false, cluster));
            case BuiltinFunction.Upper:
                return SqlValue.FromText(ChangeCase(TextOf(first), upper: true, cluster));
            case BuiltinFunction.Concat:
                return SqlValue.FromText(string.Concat(AsText(first), AsText(second)));
            default:
                throw new PlProxyException($"Cannot evaluate {call.Name}.");
        }
    }

    private static string TextOf(SqlValue value) =>
        value.Text ?? throw new PlProxyException($"Expected a text value, got {value}.");

    // Text whose bytes decide a route: under a proxy database encoding other than UTF-8, only ASCII text has the same
    // bytes (and code points) there as here, so other text is refused rather than sent where PL/Proxy did not send it.
    private static string HashedText(SqlValue value, CallExpression call, ClusterLayout cluster)
    {
        string text = TextOf(value);
        int nonAscii;
        if (cluster.OtherTextEncoding is { } encoding && (nonAscii = text.AsSpan().IndexOfAnyExceptInRange('\0', '\u007f')) >= 0)
        {
            throw new PlProxyException(
                $"{call.Name}() of text with the non-ASCII character U+{(int)text[nonAscii]:X4} at index {nonAscii}: cluster '{cluster.Name}' was routed by a proxy database whose encoding is {encoding}, where PL/Proxy hashed that text's {encoding} bytes, which the client (UTF-8) cannot reproduce. Only ASCII text routes in this cluster; the call was not sent.",
                Npgsql.PostgresErrorCodes.FeatureNotSupported);
        }

        return text;
    }

    // An integer operand of || is written by its type's output function: plain decimal digits.
    private static string AsText(SqlValue value) =>
        value.Kind == SqlValueKind.Integer ? value.Integer.ToString(CultureInfo.InvariantCulture) : TextOf(value);

    // ascii(text) in a UTF-8 database: the code point of the first character, 0 for ''.
    private static long Ascii(string text)
    {
        if (text.Length == 0)
        {
            return 0;
        }

        if (char.IsHighSurrogate(text[0]) && text.Length > 1 && char.IsLowSurrogate(text[1]))
        {
            return char.ConvertToUtf32(text[0], text[1]);
        }

        if (char.IsSurrogate(text[0]))
        {
            throw new ArgumentException("The text starts with a lone surrogate, which a PostgreSQL text value cannot hold.");
        }

        return text[0];
    }

    private static string ChangeCase(string text, bool upper, ClusterLayout cluster)
    {
        int nonAscii = text.AsSpan().IndexOfAnyExceptInRange('\0', '\u007f');
        if (nonAscii >= 0 && cluster.CaseMapping != CaseMapping.CLocale)
        {
            throw new PlProxyException(
                $"{(upper ? "upper" : "lower")}() of text with the non-ASCII character U+{(int)text[nonAscii]:X4} at index {nonAscii}: its case mapping depends on the proxy database's locale, which the client cannot reproduce. Cluster '{cluster.Name}' allows ASCII text only; set its case mapping to the C locale if the proxy database used collation C.");
        }

        // ASCII letters only: what PostgreSQL does under collation C, and in every other locale but the Turkic ones,
        // where I and i have the dotless and dotted forms ı and İ for their other case.
        bool turkic = cluster.CaseMapping == CaseMapping.Turkic;
        return string.Create(text.Length, (text, upper, turkic), static (span, state) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                char c = state.text[i];
                span[i] = state.upper
                    ? (c == 'i' && state.turkic ? '\u0130' : c >= 'a' && c <= 'z' ? (char)(c - 32) : c)
                    : (c == 'I' && state.turkic ? '\u0131' : c >= 'A' && c <= 'Z' ? (char)(c + 32) : c);
            }
        });
    }

    private static SqlValue Cast(SqlValue value, PgType from, PgType to)
    {
        if (value.IsNull)
        {
            return value;
        }

        if (to.Kind == PgTypeKind.Text)
        {
            // bpchar to text drops the trailing spaces (rtrim1), as PostgreSQL's cast does; hashtext of a char(n) sees no padding
            return SqlValue.FromText(from.Kind == PgTypeKind.Bpchar ? TextOf(value).TrimEnd(' ') : AsText(value));
        }

        long integer = value.Integer;
        return to.Kind switch
        {
            PgTypeKind.Int2 when integer is < short.MinValue or > short.MaxValue => throw OutOfRange("smallint"),
            PgTypeKind.Int4 when integer is < int.MinValue or > int.MaxValue => throw OutOfRange("integer"),
            _ => value,
        };

        static PlProxyException OutOfRange(string type) => new($"{type} out of range", "22003"); // numeric_value_out_of_range (Planning uses no Npgsql type)
    }
}

using System.Collections.Generic;
using System.Text;

namespace PlProxy.Client.Language;

/// <summary>Binds the SQL of a function call (after its opening parenthesis) into a typed expression.</summary>
internal sealed class ExpressionBinder
{
    private readonly Binder _binder;
    private readonly CallSyntax _call;
    private readonly List<SqlToken> _tokens = new();
    private int _index;
    private int _depth;

    public ExpressionBinder(Binder binder, CallSyntax call)
    {
        _binder = binder;
        _call = call;
        foreach (SqlToken token in call.Tokens)
        {
            if (token.Kind != TokenKind.SqlWhitespace)
            {
                _tokens.Add(token);
            }
        }
    }

    private SqlToken? Current => _index < _tokens.Count ? _tokens[_index] : null;

    public BoundExpression? BindCall()
    {
        try
        {
            BoundExpression? call = BindCallArguments(_call.Name, _call.NameSpan);
            if (call is not null && Current is { } extra)
            {
                throw Unsupported(extra.Span, $"'{extra.Text}' after {_call.Name}(...)");
            }

            return call;
        }
        catch (BindingException e)
        {
            _binder.Report(e.Id, e.Message, e.Span);
            return null;
        }
    }

    // After "name(": arguments separated by commas, then ")".
    private BoundExpression BindCallArguments(string name, SourceSpan nameSpan)
    {
        var arguments = new List<BoundExpression>();
        if (Current is { } first && first.IsSymbol(')'))
        {
            _index++;
        }
        else
        {
            while (true)
            {
                arguments.Add(BindConcat());
                SqlToken next = Current ?? throw Unsupported(_call.NameSpan, $"a missing ')' in {_call.Name}(...)");
                _index++;
                if (next.IsSymbol(')'))
                {
                    break;
                }

                if (!next.IsSymbol(','))
                {
                    throw Unsupported(next.Span, $"'{next.Text}' in the arguments of {name}");
                }
            }
        }

        return Functions.Resolve(name, nameSpan, arguments, _binder.Catalog);
    }

    // Each nesting level (a call, parentheses, a cast, a || operand) is one level deeper in the bound tree, which
    // the evaluator walks recursively; the limit keeps both far from the stack's end, as PostgreSQL's own
    // max_stack_depth does.
    private void Deeper(SourceSpan span)
    {
        if (++_depth > Binder.MaxExpressionDepth)
        {
            throw new BindingException(DiagnosticIds.ExpressionTooDeep, $"expression is nested more than {Binder.MaxExpressionDepth} levels deep", span);
        }
    }

    private BoundExpression BindConcat()
    {
        int depth = _depth;
        BoundExpression left = BindPostfix();
        while (Current is { } bar && bar.IsSymbol('|') && _index + 1 < _tokens.Count && _tokens[_index + 1].IsSymbol('|'))
        {
            SourceSpan span = bar.Span;
            _index += 2;
            Deeper(span); // a chain of || is a left-deep tree: each operator nests the chain so far one level
            int chain = _depth;
            BoundExpression right = BindPostfix();
            _depth = chain;
            left = Functions.Resolve("||", span, new List<BoundExpression> { left, right }, _binder.Catalog);
        }

        _depth = depth;
        return left;
    }

    private BoundExpression BindPostfix()
    {
        int depth = _depth;
        BoundExpression operand = BindPrimary();
        while (Current is { } colon && colon.IsSymbol(':') && _index + 1 < _tokens.Count && _tokens[_index + 1].IsSymbol(':'))
        {
            Deeper(colon.Span);
            _index += 2;
            SqlToken typeName = Current is { Kind: TokenKind.SqlIdentifier } t ? t : throw Unsupported(colon.Span, "a cast without a type name");
            _index++;
            operand = Functions.Cast(operand, PgType.Parse(typeName.Text), typeName.Span);
        }

        _depth = depth;
        return operand;
    }

    private BoundExpression BindPrimary()
    {
        SqlToken token = Current ?? throw Unsupported(_call.NameSpan, $"a missing argument in {_call.Name}(...)");
        _index++;
        Deeper(token.Span);
        switch (token.Kind)
        {
            case TokenKind.SqlIdentifier:
                if (Current is { } open && open.IsSymbol('('))
                {
                    _index++;
                    return BindCallArguments(token.Text, token.Span);
                }

                int index = _binder.Signature.IndexOf(token.Text);
                if (index >= 0)
                {
                    return _binder.BindArgument(token.Text, token.Span)!;
                }

                if (string.Equals(token.Text, "null", StringComparison.OrdinalIgnoreCase))
                {
                    return new LiteralExpression(null, 0, true, PgType.Unknown);
                }

                throw new BindingException(DiagnosticIds.InvalidArgumentReference, $"invalid argument reference: {token.Text}", token.Span);

            case TokenKind.SqlString when token.Text[0] == '\'':
                return new LiteralExpression(token.Text.Substring(1, token.Text.Length - 2).Replace("''", "'"), 0, false, PgType.Unknown);

            case TokenKind.SqlDollarString:
                int tagEnd = token.Text.IndexOf('$', 1) + 1;
                return new LiteralExpression(token.Text.Substring(tagEnd, token.Text.Length - (2 * tagEnd)), 0, false, PgType.Unknown);

            case TokenKind.SqlNumber when long.TryParse(token.Text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long value):
                return new LiteralExpression(null, value, false, value is >= int.MinValue and <= int.MaxValue ? PgType.Int4 : PgType.Int8);

            case TokenKind.SqlSymbol when token.IsSymbol('('):
                BoundExpression inner = BindConcat();
                if (Current is not { } close || !close.IsSymbol(')'))
                {
                    throw Unsupported(token.Span, "a '(' without its ')'");
                }

                _index++;
                return inner;

            case TokenKind.SqlSymbol when token.IsSymbol('-') && Current is { Kind: TokenKind.SqlNumber } number
                && long.TryParse("-" + number.Text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out long negative):
                _index++;
                return new LiteralExpression(null, negative, false, negative is >= int.MinValue and <= int.MaxValue ? PgType.Int4 : PgType.Int8);

            default:
                throw Unsupported(token.Span, $"'{token.Text}'");
        }
    }

    private static BindingException Unsupported(SourceSpan span, string what) =>
        new(DiagnosticIds.UnsupportedExpression,
            $"unsupported expression: {what}; the client evaluates argument references, literals, casts, || and the functions hashtext, hashtextextended, hashint2, hashint4, hashint8, hashint8extended, uuid_hash, ascii, lower, upper and registered functions",
            span);
}

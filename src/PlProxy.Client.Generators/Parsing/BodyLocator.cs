using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using PlProxy.Client.Language;

namespace PlProxy.Client.Generators.Parsing;

/// <summary>
/// Maps a position in a body's value to its place in the source: inside a regular, verbatim or raw string literal
/// it points at the exact characters; for any other expression (a constant, a concatenation) at the whole argument.
/// </summary>
internal sealed class BodyLocator
{
    private readonly SyntaxNode _argument;
    private readonly int[]? _sourceOffsets; // value index → absolute source position; one extra entry for the end

    private BodyLocator(SyntaxNode argument, int[]? sourceOffsets)
    {
        _argument = argument;
        _sourceOffsets = sourceOffsets;
    }

    public static BodyLocator For(AttributeData attribute, CancellationToken cancellationToken)
    {
        var syntax = (AttributeSyntax?)attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken);
        ExpressionSyntax? expression = syntax?.ArgumentList?.Arguments.FirstOrDefault()?.Expression;
        SyntaxNode node = (SyntaxNode?)expression ?? syntax!;
        int[]? offsets = expression is LiteralExpressionSyntax literal ? Map(literal.Token) : null;
        return new BodyLocator(node, offsets);
    }

    public Location Locate(SourceSpan span)
    {
        if (_sourceOffsets is null || span.Start >= _sourceOffsets.Length)
        {
            return _argument.GetLocation();
        }

        int start = _sourceOffsets[span.Start];
        int end = _sourceOffsets[Math.Min(span.End, _sourceOffsets.Length - 1)];
        return Location.Create(_argument.SyntaxTree, TextSpan.FromBounds(start, Math.Max(start, end)));
    }

    private static int[]? Map(SyntaxToken token)
    {
        string text = token.Text;
        int origin = token.SpanStart;
        string value = token.ValueText;
        var offsets = new List<int>(value.Length + 1);
        switch (token.Kind())
        {
            case SyntaxKind.StringLiteralToken when text.StartsWith("@\"", StringComparison.Ordinal):
                for (int i = 2; i < text.Length - 1; i++)
                {
                    offsets.Add(origin + i);
                    if (text[i] == '"')
                    {
                        i++; // "" is one quote
                    }
                }

                offsets.Add(origin + text.Length - 1);
                break;

            case SyntaxKind.StringLiteralToken when text.StartsWith("\"", StringComparison.Ordinal):
                for (int i = 1; i < text.Length - 1; i++)
                {
                    offsets.Add(origin + i);
                    if (text[i] == '\\')
                    {
                        i += EscapeLength(text, i) - 1;
                    }
                }

                offsets.Add(origin + text.Length - 1);
                break;

            case SyntaxKind.SingleLineRawStringLiteralToken:
                int quotes = text.TakeWhile(c => c == '"').Count();
                for (int i = 0; i <= value.Length; i++)
                {
                    offsets.Add(origin + quotes + i);
                }

                break;

            case SyntaxKind.MultiLineRawStringLiteralToken:
                return MapMultiLineRaw(text, origin, value);

            default:
                return null;
        }

        return offsets.Count == value.Length + 1 ? offsets.ToArray() : null;
    }

    // A multi-line raw string: the value's lines are the source's content lines less the closing line's indentation.
    private static int[]? MapMultiLineRaw(string text, int origin, string value)
    {
        int firstNewline = text.IndexOf('\n');
        int lastNewline = text.LastIndexOf('\n');
        if (firstNewline < 0 || lastNewline <= firstNewline)
        {
            return null;
        }

        int indentation = text.Length - lastNewline - 1 - text.Substring(lastNewline + 1).TrimStart(' ', '\t').Length;
        var offsets = new List<int>(value.Length + 1);
        int source = firstNewline + 1;
        foreach (char c in value)
        {
            if (source < text.Length && (offsets.Count == 0 || value[offsets.Count - 1] == '\n'))
            {
                source += indentation;
            }

            offsets.Add(origin + source);
            source++;
            if (c == '\n' && source < text.Length && text[source - 1] == '\r')
            {
                source++;
            }
        }

        offsets.Add(origin + source);
        return offsets.Count == value.Length + 1 ? offsets.ToArray() : null;
    }

    private static int EscapeLength(string text, int backslash)
    {
        char kind = backslash + 1 < text.Length ? text[backslash + 1] : '\0';
        switch (kind)
        {
            case 'u': return 6;
            case 'U': return 10;
            case 'x':
                int length = 2;
                while (length < 6 && backslash + length < text.Length && Uri.IsHexDigit(text[backslash + length]))
                {
                    length++;
                }

                return length;
            default: return 2;
        }
    }
}

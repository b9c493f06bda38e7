using System.Collections.Generic;
using System.Text;

namespace PlProxy.Client.Language;

/// <summary>
/// Splits a PL/Proxy body into tokens the way PL/Proxy's scanner does: statement mode for the PL/Proxy
/// statements, and SQL mode after <c>SELECT</c> or a function call, where SQL is passed through piece by piece
/// (strings, quoted identifiers, dollar quotes and comments kept whole) up to the next semicolon.
/// </summary>
internal sealed class Scanner
{
    private readonly string _text;
    private readonly List<int> _lineStarts = new() { 0 };
    private readonly List<Token> _tokens = new();
    private readonly List<BodyDiagnostic> _diagnostics;
    private int _position;
    private bool _sqlMode;

    private Scanner(string text, List<BodyDiagnostic> diagnostics)
    {
        _text = text;
        _diagnostics = diagnostics;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                _lineStarts.Add(i + 1);
            }
        }
    }

    /// <summary>Scans <paramref name="text"/>; problems go to <paramref name="diagnostics"/>. The list ends with an <see cref="TokenKind.End"/> token.</summary>
    public static List<Token> Scan(string text, List<BodyDiagnostic> diagnostics)
    {
        var scanner = new Scanner(text, diagnostics);
        scanner.Run();
        return scanner._tokens;
    }

    private void Run()
    {
        while (_position < _text.Length)
        {
            if (_sqlMode)
            {
                ScanSql();
            }
            else
            {
                ScanStatement();
            }
        }

        _tokens.Add(new Token(TokenKind.End, "", Span(_text.Length, 0)));
    }

    private void ScanStatement()
    {
        int start = _position;
        char c = _text[_position];

        if (Lexicon.IsSpace(c))
        {
            _position++;
            return;
        }

        if (c == '-' && Peek(1) == '-')
        {
            SkipLineComment();
            return;
        }

        if (c == '/' && Peek(1) == '*')
        {
            SkipBlockComment();
            return;
        }

        if (c == '$' && Lexicon.IsDigit(Peek(1)))
        {
            _position++;
            while (_position < _text.Length && Lexicon.IsDigit(_text[_position]))
            {
                _position++;
            }

            Add(TokenKind.Identifier, start);
            return;
        }

        if (Lexicon.IsWordStart(c))
        {
            ScanIdentifierInStatement(start);
            return;
        }

        if (Lexicon.IsDigit(c))
        {
            while (_position < _text.Length && Lexicon.IsDigit(_text[_position]))
            {
                _position++;
            }

            Add(TokenKind.Number, start);
            return;
        }

        if (c == '\'')
        {
            ScanStatementString(start);
            return;
        }

        _position++;
        Add(TokenKind.Symbol, start);
    }

    private void ScanIdentifierInStatement(int start)
    {
        ReadDottedIdentifier();
        int end = _position;
        string identifier = _text.Substring(start, end - start);
        Keyword keyword = Lexicon.KeywordOf(identifier);

        // "name (" is a function call; "select (" is not (PL/Proxy's scanner special-cases it).
        int afterSpace = end;
        while (afterSpace < _text.Length && Lexicon.IsSpace(_text[afterSpace]))
        {
            afterSpace++;
        }

        if (afterSpace < _text.Length && _text[afterSpace] == '(' && keyword != Keyword.Select)
        {
            _position = afterSpace + 1;
            _tokens.Add(new Token(TokenKind.FunctionCall, identifier, Span(start, _position - start)));
            _sqlMode = true;
            return;
        }

        if (keyword != Keyword.None)
        {
            _tokens.Add(new Token(TokenKind.Keyword, identifier, Span(start, end - start), keyword));
            _sqlMode = keyword == Keyword.Select;
            return;
        }

        _tokens.Add(new Token(TokenKind.Identifier, identifier, Span(start, end - start)));
    }

    private void ScanStatementString(int start)
    {
        var value = new StringBuilder();
        _position++;
        while (_position < _text.Length)
        {
            char c = _text[_position];
            if (c == '\'')
            {
                if (Peek(1) == '\'')
                {
                    value.Append('\'');
                    _position += 2;
                    continue;
                }

                _position++;
                _tokens.Add(new Token(TokenKind.String, _text.Substring(start, _position - start), Span(start, _position - start), Value: value.ToString()));
                return;
            }

            value.Append(c);
            _position++;
        }

        Unterminated(start, "string literal");
    }

    private void ScanSql()
    {
        int start = _position;
        char c = _text[_position];

        if (c == ';')
        {
            _position++;
            Add(TokenKind.Symbol, start);
            _sqlMode = false;
            return;
        }

        if (Lexicon.IsSpace(c))
        {
            while (_position < _text.Length && Lexicon.IsSpace(_text[_position]))
            {
                _position++;
            }

            Add(TokenKind.SqlWhitespace, start);
            return;
        }

        if (c == '-' && Peek(1) == '-')
        {
            SkipLineComment();
            Add(TokenKind.SqlWhitespace, start);
            return;
        }

        if (c == '/' && Peek(1) == '*')
        {
            if (SkipBlockComment())
            {
                Add(TokenKind.SqlWhitespace, start);
            }

            return;
        }

        if (c == '$')
        {
            if (Lexicon.IsDigit(Peek(1)))
            {
                _position++;
                while (_position < _text.Length && Lexicon.IsDigit(_text[_position]))
                {
                    _position++;
                }

                Add(TokenKind.SqlIdentifier, start);
                return;
            }

            if (TryScanDollarQuote(start))
            {
                return;
            }

            _position++;
            Add(TokenKind.Symbol, start); // a lone '$': the parser reports it
            return;
        }

        if (c == '"')
        {
            ScanQuoted(start, '"', backslashEscapes: false, TokenKind.SqlQuotedIdentifier, "quoted identifier");
            return;
        }

        if ((c == 'E' || c == 'e') && Peek(1) == '\'')
        {
            _position++;
            ScanQuoted(start, '\'', backslashEscapes: true, TokenKind.SqlString, "string literal");
            return;
        }

        if (c == '\'')
        {
            ScanQuoted(start, '\'', backslashEscapes: false, TokenKind.SqlString, "string literal");
            return;
        }

        if (Lexicon.IsWordStart(c))
        {
            ReadDottedIdentifier();
            Add(TokenKind.SqlIdentifier, start);
            return;
        }

        if (Lexicon.IsDigit(c))
        {
            while (_position < _text.Length && (Lexicon.IsDigit(_text[_position]) || _text[_position] == '.'))
            {
                _position++;
            }

            Add(TokenKind.SqlNumber, start);
            return;
        }

        _position++;
        Add("-!#%&()*+,/:<=>?@[]^{|}~.".IndexOf(c) >= 0 ? TokenKind.SqlSymbol : TokenKind.Symbol, start);
    }

    private bool TryScanDollarQuote(int start)
    {
        // $tag$ ... $tag$ or $$ ... $$
        int i = _position + 1;
        if (i < _text.Length && Lexicon.IsDollarTagStart(_text[i]))
        {
            i++;
            while (i < _text.Length && Lexicon.IsDollarTagPart(_text[i]))
            {
                i++;
            }
        }

        if (i >= _text.Length || _text[i] != '$')
        {
            return false;
        }

        string delimiter = _text.Substring(_position, i + 1 - _position);
        int close = _text.IndexOf(delimiter, i + 1, StringComparison.Ordinal);
        if (close < 0)
        {
            _position = _text.Length;
            Unterminated(start, "dollar-quoted string");
            return true;
        }

        _position = close + delimiter.Length;
        Add(TokenKind.SqlDollarString, start);
        return true;
    }

    private void ScanQuoted(int start, char quote, bool backslashEscapes, TokenKind kind, string what)
    {
        _position++;
        while (_position < _text.Length)
        {
            char c = _text[_position];
            if (backslashEscapes && c == '\\' && _position + 1 < _text.Length)
            {
                _position += 2;
                continue;
            }

            if (c == quote)
            {
                if (Peek(1) == quote)
                {
                    _position += 2;
                    continue;
                }

                _position++;
                Add(kind, start);
                return;
            }

            _position++;
        }

        Unterminated(start, what);
    }

    private void ReadDottedIdentifier()
    {
        ReadWord();
        while (true)
        {
            int save = _position;
            while (_position < _text.Length && Lexicon.IsSpace(_text[_position]))
            {
                _position++;
            }

            if (_position < _text.Length && _text[_position] == '.')
            {
                _position++;
                while (_position < _text.Length && Lexicon.IsSpace(_text[_position]))
                {
                    _position++;
                }

                if (_position < _text.Length && Lexicon.IsWordStart(_text[_position]))
                {
                    ReadWord();
                    continue;
                }
            }

            _position = save;
            return;
        }
    }

    private void ReadWord()
    {
        _position++;
        while (_position < _text.Length && Lexicon.IsWordPart(_text[_position]))
        {
            _position++;
        }
    }

    private void SkipLineComment()
    {
        while (_position < _text.Length && _text[_position] != '\n')
        {
            _position++;
        }
    }

    private bool SkipBlockComment()
    {
        int start = _position;
        int close = _text.IndexOf("*/", _position + 2, StringComparison.Ordinal);
        if (close < 0)
        {
            _position = _text.Length;
            Unterminated(start, "comment");
            return false;
        }

        _position = close + 2;
        return true;
    }

    private void Unterminated(int start, string what)
    {
        _position = _text.Length;
        _diagnostics.Add(new BodyDiagnostic(DiagnosticIds.Unterminated, $"unterminated {what}", Span(start, _text.Length - start)));
    }

    private void Add(TokenKind kind, int start) =>
        _tokens.Add(new Token(kind, _text.Substring(start, _position - start), Span(start, _position - start)));

    private SourceSpan Span(int start, int length)
    {
        int line = _lineStarts.BinarySearch(start);
        if (line < 0)
        {
            line = ~line - 1;
        }

        return new SourceSpan(start, length, line + 1, start - _lineStarts[line] + 1);
    }

    private char Peek(int offset) => _position + offset < _text.Length ? _text[_position + offset] : '\0';
}

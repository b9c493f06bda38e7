using System.Globalization;
using System.Text;

namespace PlProxy.Client.Tool.Scaffolding.Mapping;

/// <summary>How PostgreSQL names become C# names.</summary>
internal static class CSharpNames
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue",
        "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally",
        "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock",
        "long", "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected",
        "public", "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string",
        "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort",
        "using", "virtual", "void", "volatile", "while",
    };

    /// <summary><c>get_user_v2</c> → <c>GetUserV2</c>: each underscore-separated part capitalised, the letters kept in order (so columns still match by name).</summary>
    public static string Pascal(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (string part in name.Split('_', StringSplitOptions.RemoveEmptyEntries))
        {
            builder.Append(char.ToUpperInvariant(part[0])).Append(part, 1, part.Length - 1);
        }

        if (builder.Length > 0 && char.IsDigit(builder[0]))
        {
            builder.Insert(0, '_');
        }

        return builder.ToString();
    }

    /// <summary>True when <paramref name="name"/> is a C# identifier (letters, digits, underscores; not starting with a digit).</summary>
    public static bool IsIdentifier(string name)
    {
        if (name.Length == 0 || !(IsLetter(name[0]) || name[0] == '_'))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(IsLetter(c) || char.IsDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;

        static bool IsLetter(char c) => char.GetUnicodeCategory(c) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
            or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter;
    }

    /// <summary>The identifier as C# source writes it: <c>@class</c> for a keyword.</summary>
    public static string Escape(string identifier) => Keywords.Contains(identifier) ? "@" + identifier : identifier;

    /// <summary>True when PostgreSQL reads <paramref name="name"/> unquoted as itself (lower case letters, digits, underscores).</summary>
    public static bool IsPlainSqlName(string name) =>
        name.Length > 0 && (name[0] is >= 'a' and <= 'z' || name[0] == '_') && name.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '_');
}

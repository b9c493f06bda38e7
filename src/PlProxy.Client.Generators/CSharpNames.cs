namespace PlProxy.Client.Generators;

/// <summary>Names from the user's code as the generated code writes them.</summary>
internal static class CSharpNames
{
    /// <summary>
    /// <paramref name="name"/> as an identifier: a reserved keyword (a method <c>@class</c>, a parameter <c>@int</c>,
    /// whose symbols are named <c>class</c> and <c>int</c>) written with its <c>@</c>.
    /// </summary>
    public static string Escape(string name) =>
        Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetKeywordKind(name) != Microsoft.CodeAnalysis.CSharp.SyntaxKind.None ? "@" + name : name;
}

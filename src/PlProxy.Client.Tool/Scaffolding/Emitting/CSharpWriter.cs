using System.Text;
using PlProxy.Client.Tool.Scaffolding.Mapping;

namespace PlProxy.Client.Tool.Scaffolding.Emitting;

/// <summary>Writes the scaffolded interfaces and records as plain C# files.</summary>
internal static class CSharpWriter
{
    private const string Header = """
        // Scaffolded by plproxy scaffold from a PL/Proxy proxy database. Each method carries its proxy function's body;
        // PlProxy.Client's source generator implements it. Edit freely: this file is yours now.
        #nullable enable

        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using PlProxy.Client;
        """;

    /// <summary>The interface of one group, with its file name.</summary>
    public static (string FileName, string Source) Interface(string @namespace, string interfaceName, string group, ScaffoldGrouping grouping, IReadOnlyList<ScaffoldMethod> methods)
    {
        var source = new StringBuilder();
        source.Append(Header).Append("\n\nnamespace ").Append(@namespace).Append(";\n\n");
        string what = grouping == ScaffoldGrouping.Schema ? $"schema <c>{Xml(group)}</c>"
            : methods[0].Cluster is null ? "CONNECT statements" : $"cluster <c>{Xml(group)}</c>";
        source.Append("/// <summary>The proxy functions of ").Append(what).Append(", scaffolded from the proxy database.</summary>\n");
        source.Append("[PlProxy(\"\")]\n");
        source.Append("public interface ").Append(interfaceName).Append("\n{\n");
        for (int i = 0; i < methods.Count; i++)
        {
            ScaffoldMethod method = methods[i];
            if (i > 0)
            {
                source.Append('\n');
            }

            source.Append("    /// <summary>Calls <c>").Append(Xml(method.Function.Signature)).Append("</c>.</summary>\n");
            var remarks = new List<string>(method.Notes);
            if (method.TargetAdded is { } target)
            {
                remarks.Insert(0, $"TARGET {target} added: the method name alone would call {Language.SqlNames.FromMethodName(method.Name)}");
            }

            if (remarks.Count > 0)
            {
                source.Append("    /// <remarks>").Append(Xml(string.Join("; ", remarks))).Append(".</remarks>\n");
            }

            source.Append("    [PlProxy(").Append(Literal(method.Body, "        ")).Append(")]\n");
            if (method.ReturnPgType is { } returnPgType)
            {
                source.Append("    [return: PgType(").Append(Literal(returnPgType, "")).Append(")]\n");
            }

            source.Append("    ").Append(method.ReturnType).Append(' ').Append(method.Name).Append('(');
            foreach (ScaffoldParameter parameter in method.Parameters)
            {
                if (parameter.PgType is { } pgType)
                {
                    source.Append("[PgType(").Append(Literal(pgType, "")).Append(")] ");
                }

                source.Append(parameter.Type).Append(' ').Append(CSharpNames.Escape(parameter.Name)).Append(", ");
            }

            source.Append("CancellationToken cancellationToken = default);\n");
        }

        foreach (PortedFunction function in methods.SelectMany(m => m.Functions).DistinctBy(f => f.SqlName, StringComparer.OrdinalIgnoreCase))
        {
            source.Append("\n    /// <summary>Ported from the proxy database's SQL function <c>").Append(Xml(function.Signature)).Append("</c>: the same hashes, computed here.</summary>\n");
            source.Append("    ").Append(function.Source).Append('\n');
        }

        source.Append("}\n");
        return (interfaceName + ".cs", source.ToString());
    }

    /// <summary>The records of composite results, in one file.</summary>
    public static (string FileName, string Source) Records(string @namespace, IEnumerable<ScaffoldRecord> records)
    {
        var source = new StringBuilder();
        source.Append(Header).Append("\n\nnamespace ").Append(@namespace).Append(";\n");
        foreach (ScaffoldRecord record in records)
        {
            source.Append("\n/// <summary>A row of ").Append(Xml(record.Source)).Append("; properties take the columns by name.</summary>\n");
            source.Append("public sealed record ").Append(record.Name).Append('(')
                .AppendJoin(", ", record.Properties.Select(p => $"{p.Type} {CSharpNames.Escape(p.Name)}")).Append(");\n");
        }

        return ("Rows.cs", source.ToString());
    }

    /// <summary>
    /// A string literal holding <paramref name="text"/> exactly: a regular literal for a plain single line, otherwise a
    /// raw literal whose lines are indented by <paramref name="indent"/> (which the compiler removes again).
    /// </summary>
    public static string Literal(string text, string indent)
    {
        text = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        if (!text.Contains('\n', StringComparison.Ordinal) && !text.Any(c => c is '"' or '\\' || char.IsControl(c)))
        {
            return "\"" + text + "\"";
        }

        int longestQuoteRun = 0, run = 0;
        foreach (char c in text)
        {
            run = c == '"' ? run + 1 : 0;
            longestQuoteRun = Math.Max(longestQuoteRun, run);
        }

        string quotes = new('"', Math.Max(3, longestQuoteRun + 1));
        var literal = new StringBuilder(quotes).Append('\n');
        foreach (string line in text.Split('\n'))
        {
            literal.Append(line.Length == 0 ? "" : indent).Append(line).Append('\n');
        }

        return literal.Append(indent).Append(quotes).ToString();
    }

    private static string Xml(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}

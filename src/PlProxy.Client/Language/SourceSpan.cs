namespace PlProxy.Client.Language;

/// <summary>
/// A stretch of a PL/Proxy body: character offset and length, and the 1-based line and column of its start, so
/// that compile-time diagnostics can point inside the attribute string and run-time errors can name the line.
/// </summary>
internal readonly record struct SourceSpan(int Start, int Length, int Line, int Column)
{
    /// <summary>The offset just past the span.</summary>
    public int End => Start + Length;

    /// <summary>The span from the start of <paramref name="first"/> to the end of <paramref name="last"/>.</summary>
    public static SourceSpan Cover(SourceSpan first, SourceSpan last) =>
        new(first.Start, last.End - first.Start, first.Line, first.Column);
}

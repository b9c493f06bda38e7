namespace PlProxy.Client.Language;

/// <summary>
/// An error found in a PL/Proxy body, in PL/Proxy's own words where PL/Proxy has them, with the place it was found.
/// </summary>
/// <param name="Id">The stable PLPX ID (see <see cref="DiagnosticIds"/>).</param>
/// <param name="Message">What is wrong, without the line prefix.</param>
/// <param name="Span">Where in the body.</param>
/// <param name="InInterfaceBody">True when <paramref name="Span"/> lies in the interface-level body rather than the method's.</param>
internal sealed record BodyDiagnostic(string Id, string Message, SourceSpan Span, bool InInterfaceBody = false)
{
    /// <summary>PL/Proxy's form: <c>Compile error at line N: message</c>.</summary>
    public override string ToString() => $"Compile error at line {Span.Line}: {Message}";
}

namespace PlProxy.Client.Language;

/// <summary>An error while binding an expression, carried to the binder's diagnostics (never thrown out of the binder).</summary>
internal sealed class BindingException : Exception
{
    public BindingException(string id, string message, SourceSpan span)
        : base(message)
    {
        Id = id;
        Span = span;
    }

    public string Id { get; }

    public SourceSpan Span { get; }
}

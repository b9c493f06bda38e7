using Microsoft.CodeAnalysis;

namespace PlProxy.Client.Generators;

/// <summary>
/// Emits the dispatcher for interfaces annotated with PlProxy.Client's <c>[PlProxy]</c> attribute.
/// The pipeline is wired as the attribute, parser and emitter arrive; for now it registers nothing.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class PlProxyGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
    }
}

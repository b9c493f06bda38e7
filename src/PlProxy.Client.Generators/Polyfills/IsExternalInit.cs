// netstandard2.0 lacks the types the C# compiler needs for records and init accessors; the linked Language
// sources use both. This is the one place such polyfills live.
namespace System.Runtime.CompilerServices;

internal static class IsExternalInit
{
}

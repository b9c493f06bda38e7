using System.CommandLine;
using System.Text;
using System.Text.Json;

namespace PlProxy.Client.Tool.Verbs;

/// <summary>
/// <c>--json</c>: a verb's report as one JSON document on standard output instead of its lines (for scripts, as
/// <c>dotnet ef ... --json</c>); errors stay sentences on standard error and the exit codes are the same. Written with
/// <see cref="Utf8JsonWriter"/> (no reflection), passwords hidden by <see cref="ToolOutput"/> as in every output.
/// </summary>
internal static class JsonReport
{
    /// <summary>The <c>--json</c> option.</summary>
    public static Option<bool> Option() => new("--json") { Description = "Print the report as one JSON document (errors stay on standard error; same exit codes)" };

    /// <summary>Writes the document <paramref name="write"/> builds to <paramref name="output"/>, indented, then a new line.</summary>
    public static async Task WriteAsync(TextWriter output, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            write(writer);
        }

        await output.WriteLineAsync(Encoding.UTF8.GetString(buffer.ToArray())).ConfigureAwait(false);
    }
}

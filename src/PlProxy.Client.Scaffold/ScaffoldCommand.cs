using Npgsql;

namespace PlProxy.Client.Scaffold;

/// <summary>Runs a scaffolding and writes its files, refusing to overwrite unless told to.</summary>
internal static class ScaffoldCommand
{
    /// <summary>Exit code 0 on success, 1 for bad input (options, existing files), 2 when the proxy database cannot be read.</summary>
    public static async Task<int> RunAsync(ScaffoldOptions options, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ScaffoldResult result;
        try
        {
            result = await Scaffolder.RunAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or ArgumentException or InvalidOperationException)
        {
            await error.WriteLineAsync($"plproxy-scaffold: cannot read the proxy database: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        string[] existing = [.. result.Files.Select(f => Path.Combine(options.Output, f.Name)).Where(File.Exists)];
        if (existing.Length > 0 && !options.Force)
        {
            await error.WriteLineAsync($"plproxy-scaffold: {string.Join(", ", existing)} exist; nothing was written (--force overwrites them).").ConfigureAwait(false);
            return 1;
        }

        Directory.CreateDirectory(options.Output);
        foreach ((string name, string content) in result.Files)
        {
            await File.WriteAllTextAsync(Path.Combine(options.Output, name), content, cancellationToken).ConfigureAwait(false);
        }

        await output.WriteLineAsync(
            $"plproxy-scaffold: {result.Methods.Count} of {result.FunctionCount - result.FilteredOut} functions scaffolded into {result.Interfaces.Count} interfaces in {options.Output}; " +
            $"{result.Unmapped.Count} not mapped (see {Emitting.ReportWriter.FileName}).").ConfigureAwait(false);
        return 0;
    }
}

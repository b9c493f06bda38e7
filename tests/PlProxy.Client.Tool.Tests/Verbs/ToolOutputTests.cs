using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Scaffold.Tests.Verbs;

/// <summary>
/// The tool's output writer: copies and comparisons running side by side report through it at once, so each line is
/// written whole and none is lost, with its secrets hidden.
/// </summary>
public sealed class ToolOutputTests
{
    [Fact]
    public async Task LinesFromEightTasksAtOnce_AreEachWrittenWholeOnce_WithTheirSecretsHidden()
    {
        using var inner = new StringWriter();
        using var output = new ToolOutput(inner);
        output.Hide("s3cret");

        await Task.WhenAll(Enumerable.Range(0, 8).Select(task => Task.Run(async () =>
        {
            for (int line = 0; line < 2000; line++)
            {
                await output.WriteLineAsync($"task {task} line {line} password=s3cret");
            }
        }))).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        string[] lines = inner.ToString().Split(inner.NewLine, StringSplitOptions.RemoveEmptyEntries);
        string[] expected = [.. Enumerable.Range(0, 8).SelectMany(task => Enumerable.Range(0, 2000).Select(line => $"task {task} line {line} password=***"))];
        Assert.Equal(expected.Order(StringComparer.Ordinal), lines.Order(StringComparer.Ordinal));
    }
}

using System.Text;
using Microsoft.CodeAnalysis;

namespace PlProxy.Client.Generators.Tests;

/// <summary>
/// What the generator writes, kept beside each scenario so a reviewer reads it: <c>Scenarios/NAME.input.cs</c> is
/// compiled with the generator and its output (diagnostics first, then each generated file) must equal
/// <c>Scenarios/NAME.g.cs</c>. After a deliberate change to the emitter, write the baselines anew with
/// <c>PLPROXY_UPDATE_BASELINES=1</c> and review the diff. The generator's version, which the generated code names,
/// reads <c>%VERSION%</c> in a baseline, so a release does not rewrite them.
/// </summary>
public sealed class EmittedSourceBaselineTests
{
    public static TheoryData<string> Scenarios()
    {
        var names = new TheoryData<string>();
        foreach (string input in Directory.GetFiles(ScenarioFiles.ScenarioDirectory(), "*.input.cs").Order(StringComparer.Ordinal))
        {
            names.Add(Path.GetFileName(input)[..^".input.cs".Length]);
        }

        return names;
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Scenario_EmitsItsBaseline(string scenario)
    {
        GeneratorHarness.Result result = GeneratorHarness.Run(ScenarioFiles.Input(scenario));
        string emitted = Describe(result);
        string baseline = Path.Combine(ScenarioFiles.ScenarioDirectory(), scenario + ".g.cs");

        if (Environment.GetEnvironmentVariable("PLPROXY_UPDATE_BASELINES") == "1")
        {
            File.WriteAllText(baseline, emitted);
        }

        Assert.True(File.Exists(baseline), $"No baseline {baseline}: run the tests once with PLPROXY_UPDATE_BASELINES=1.");
        Assert.Equal(File.ReadAllText(baseline).ReplaceLineEndings("\n"), emitted);
        Assert.Empty(result.CompileErrors);
    }

    private static string Describe(GeneratorHarness.Result result)
    {
        var text = new StringBuilder();
        foreach (Diagnostic diagnostic in result.GeneratorDiagnostics.OrderBy(d => d.Location.SourceSpan.Start))
        {
            FileLinePositionSpan span = diagnostic.Location.GetLineSpan();
            text.Append("// ").Append(diagnostic.Id).Append(" at ").Append(span.StartLinePosition.Line + 1).Append(':').Append(span.StartLinePosition.Character + 1)
                .Append(": ").Append(diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        }

        foreach (GeneratedSourceResult source in result.Run.Results.SelectMany(r => r.GeneratedSources).OrderBy(s => s.HintName, StringComparer.Ordinal))
        {
            text.Append("// ---- ").Append(source.HintName).Append('\n').Append(source.SourceText.ToString().ReplaceLineEndings("\n"));
        }

        return text.ToString().Replace($"\"PlProxy.Client.Generators\", \"{Emitting.ProxyEmitter.Version}\"", "\"PlProxy.Client.Generators\", \"%VERSION%\"", StringComparison.Ordinal);
    }
}

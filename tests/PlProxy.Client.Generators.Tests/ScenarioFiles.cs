namespace PlProxy.Client.Generators.Tests;

/// <summary>The generator scenarios: inputs the generator tests compile, and the emitted-source baselines beside them.</summary>
internal static class ScenarioFiles
{
    /// <summary>
    /// The directory of the generator scenarios (<c>NAME.input.cs</c> and their baselines <c>NAME.g.cs</c>): the source
    /// tree's, where baselines are written anew, or the copy beside the test assembly when the build mapped source paths.
    /// </summary>
    public static string ScenarioDirectory([System.Runtime.CompilerServices.CallerFilePath] string harnessPath = "")
    {
        string source = Path.Combine(Path.GetDirectoryName(harnessPath) ?? "", "Scenarios");
        return Directory.Exists(source) ? source : Path.Combine(AppContext.BaseDirectory, "Scenarios");
    }

    /// <summary>The input of scenario <paramref name="name"/>.</summary>
    public static string Input(string name) => File.ReadAllText(Path.Combine(ScenarioDirectory(), name + ".input.cs"));
}

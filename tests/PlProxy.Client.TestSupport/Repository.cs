namespace PlProxy.Client.TestSupport;

/// <summary>The repository the tests run from: for tests that read its sources, README or packages.</summary>
public static class Repository
{
    /// <summary>The directory that holds PlProxy.Client.sln, found upwards from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PlProxy.Client.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No PlProxy.Client.sln above {AppContext.BaseDirectory}");
    }
}

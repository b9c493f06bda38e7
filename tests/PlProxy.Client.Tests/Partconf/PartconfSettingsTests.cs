using Npgsql;
using PlProxy.Client.Partconf;

namespace PlProxy.Client.Tests.Partconf;

/// <summary>Settings that cannot describe a partition database are refused before anything is sent, naming the problem.</summary>
public sealed class PartconfSettingsTests
{
    public static TheoryData<PartconfSettings, string> Invalid() => new()
    {
        { new PartconfSettings("", [0], 4, 0), "cluster's name" },
        { new PartconfSettings("users", [0], 3, 0), "partition count 3 must be a power of two" },
        { new PartconfSettings("users", [], 4, 0), "give the partition numbers" },
        { new PartconfSettings("users", [4], 4, 0), "partition 4 is outside 0..3" },
        { new PartconfSettings("users", [0], 4, 1024), "db_code 1024 must be from 0 to 1023" },
        { new PartconfSettings("users", [0], 0, 0) { ModularMapping = true }, "partition count 0 must be positive" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task InstallAsync_InvalidSettings_ThrowsNamingTheProblemWithoutConnecting(PartconfSettings settings, string problem)
    {
        await using NpgsqlDataSource nowhere = NpgsqlDataSource.Create("Host=nowhere.invalid;Timeout=1");

        var error = await Assert.ThrowsAsync<ArgumentException>(() => PartconfDatabase.InstallAsync(nowhere, settings, TestContext.Current.CancellationToken));

        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Script_IsEmbeddedAndVersioned() =>
        Assert.Contains($"select {PartconfDatabase.ScriptVersion} $$", PartconfDatabase.Script, StringComparison.Ordinal);
}

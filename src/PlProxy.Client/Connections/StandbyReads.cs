namespace PlProxy.Client.Connections;

/// <summary>A cluster's rule for calls marked to read from a standby: how stale a standby may be, and whether this data source's own writes must be visible.</summary>
/// <param name="MaxLag">The most stale a standby may be.</param>
/// <param name="ReadYourWrites">Whether a standby must have replayed past the data source's last call to the partition's primary.</param>
internal sealed record StandbyReads(TimeSpan MaxLag, bool ReadYourWrites)
{
    /// <summary>The options' defaults.</summary>
    public static StandbyReads Default { get; } = new(TimeSpan.FromSeconds(1), ReadYourWrites: false);
}

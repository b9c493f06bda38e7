namespace PlProxy.Client.IntegrationTests.Replication;

/// <summary>
/// A partition's primary killed under load and its synchronous standby promoted (samples/Failover): three writer
/// processes, each with its own data source, place orders on that partition and on another one all along. Its pauses
/// are bounded in time, so it runs with nothing beside it.
/// </summary>
[Collection(nameof(TimeBoundCollection))]
public sealed class FailoverTests
{
    [Fact]
    public async Task PrimaryKilledAndStandbyPromoted_UnderThreeWriterProcesses_LosesAndDoublesNothingAndResumesWithinASecond()
    {
        SampleRun failover = await SampleRun.RunAsync("failover", "Failover.dll", ["run", "--writers", "3", "--before", "2", "--down", "1", "--after", "3"], TimeSpan.FromMinutes(3));

        Assert.Equal(0, failover["crashed"]); // every call's failure was a PlProxyException, even a connection lost at a statement's end
        Assert.Equal("sync", failover.Text("replication")); // an acknowledged commit was on the standby
        Assert.True(failover["acked"] > 1_000, $"only {failover.Text("acked")} writes were acknowledged");
        Assert.Equal(0, failover["lost"]); // every acknowledged write is on its partition's (new) primary
        Assert.Equal(0, failover["duplicated"]); // and once: no write was sent again after it had committed
        Assert.True(failover["acked_first_after_promotion"] > 100, "partition 0 took few writes after the promotion");
        Assert.InRange(failover["resume_after_promotion_ms"], -5_000, 1_000); // within a second of the promotion (it may resume before pg_ctl returns)
        Assert.InRange(failover["second_longest_pause_ms"], 0, 1_000); // the other partition never paused
    }
}

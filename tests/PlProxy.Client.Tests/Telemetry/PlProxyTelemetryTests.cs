using PlProxy.Client.Telemetry;

namespace PlProxy.Client.Tests.Telemetry;

public sealed class PlProxyTelemetryTests
{
    // OpenTelemetry's database semantic conventions, in seconds.
    private static readonly double[] ConventionBuckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

    [Fact]
    public void DurationHistograms_AdviseTheDatabaseConventionsBuckets()
    {
        Assert.Equal(ConventionBuckets, PlProxyTelemetry.CallDuration.Advice?.HistogramBucketBoundaries);
        Assert.Equal(ConventionBuckets, PlProxyTelemetry.PartitionDuration.Advice?.HistogramBucketBoundaries);
        Assert.Equal(("s", "s"), (PlProxyTelemetry.CallDuration.Unit, PlProxyTelemetry.PartitionDuration.Unit));
    }
}

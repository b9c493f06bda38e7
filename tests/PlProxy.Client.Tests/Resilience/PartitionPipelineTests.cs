using Microsoft.Extensions.Logging.Abstractions;
using PlProxy.Client.Resilience;

namespace PlProxy.Client.Tests.Resilience;

/// <summary>A partition gets a Polly pipeline only when something in it can act.</summary>
public sealed class PartitionPipelineTests
{
    [Fact]
    public void Build_WithRetriesAndBreakerOff_IsNoPipeline() =>
        Assert.Null(PartitionPipeline.Build("c", 0, "p0", new PlProxyRetryOptions { MaxRetryAttempts = 0 }, new PlProxyCircuitBreakerOptions { Enabled = false }, NullLogger.Instance));

    [Theory]
    [InlineData(1, false)]
    [InlineData(0, true)]
    public void Build_WithRetriesOrBreaker_IsAPipeline(int retries, bool breaker) =>
        Assert.NotNull(PartitionPipeline.Build("c", 0, "p0", new PlProxyRetryOptions { MaxRetryAttempts = retries }, new PlProxyCircuitBreakerOptions { Enabled = breaker }, NullLogger.Instance));
}

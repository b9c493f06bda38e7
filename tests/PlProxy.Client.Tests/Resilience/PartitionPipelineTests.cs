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

    [Fact]
    public void ReadOnlyServer_IsAFailoverThatWroteNothing()
    {
        var readOnly = new Npgsql.PostgresException("cannot execute INSERT in a read-only transaction", "ERROR", "ERROR", Npgsql.PostgresErrorCodes.ReadOnlySqlTransaction);
        var unique = new Npgsql.PostgresException("duplicate key", "ERROR", "ERROR", Npgsql.PostgresErrorCodes.UniqueViolation);

        Assert.Equal((true, false, true), (FailureClassifier.ProvablyWroteNothing(readOnly), FailureClassifier.IsPartitionFailure(readOnly), FailureClassifier.IsReadOnly(readOnly))); // retried, but no sign the partition is unwell
        Assert.Equal((false, false, false), (FailureClassifier.ProvablyWroteNothing(unique), FailureClassifier.IsPartitionFailure(unique), FailureClassifier.IsReadOnly(unique)));
    }

    [Fact]
    public void Standby_ThatCannotServeARead_IsOneGoneShuttingDownOrInConflictWithRecovery()
    {
        Assert.True(FailureClassifier.StandbyCannotServe(new Npgsql.PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", Npgsql.PostgresErrorCodes.AdminShutdown)));
        Assert.True(FailureClassifier.StandbyCannotServe(new Npgsql.PostgresException("canceling statement due to conflict with recovery", "ERROR", "ERROR", Npgsql.PostgresErrorCodes.SerializationFailure)));
        Assert.True(FailureClassifier.StandbyCannotServe(new Npgsql.PostgresException("storniere Anfrage wegen Konflikt mit der Wiederherstellung", "FEHLER", "ERROR", Npgsql.PostgresErrorCodes.SerializationFailure)));
        Assert.True(FailureClassifier.StandbyCannotServe(new Npgsql.PostgresException("canceling statement due to conflict with recovery", "ERROR", "ERROR", Npgsql.PostgresErrorCodes.DeadlockDetected))); // a buffer deadlock with recovery
        Assert.False(FailureClassifier.StandbyCannotServe(new Npgsql.PostgresException("canceling statement due to statement timeout", "ERROR", "ERROR", Npgsql.PostgresErrorCodes.QueryCanceled)));
        Assert.False(FailureClassifier.StandbyCannotServe(new Npgsql.PostgresException("division by zero", "ERROR", "ERROR", Npgsql.PostgresErrorCodes.DivisionByZero)));
    }
}

namespace PlProxy.Client.IntegrationTests;

/// <summary>
/// Tests that bound a time — how long stopping a call takes, how long a failover pauses the other partition: run
/// after the parallel ones, with nothing beside them, so that the machine's other tests do not make the time.
/// </summary>
[CollectionDefinition(nameof(TimeBoundCollection), DisableParallelization = true)]
public sealed class TimeBoundCollection;

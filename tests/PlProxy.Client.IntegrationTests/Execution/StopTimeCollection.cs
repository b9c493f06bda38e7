namespace PlProxy.Client.IntegrationTests.Execution;

/// <summary>Tests that bound how long stopping a call takes: run after the parallel ones, with nothing beside them.</summary>
[CollectionDefinition(nameof(StopTimeCollection), DisableParallelization = true)]
public sealed class StopTimeCollection;

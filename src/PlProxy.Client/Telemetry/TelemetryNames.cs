namespace PlProxy.Client.Telemetry;

/// <summary>The names PlProxy.Client's traces, metrics and logs use; OpenTelemetry's database conventions where they fit.</summary>
public static class TelemetryNames
{
    /// <summary>The <see cref="System.Diagnostics.ActivitySource"/> and <see cref="System.Diagnostics.Metrics.Meter"/> name.</summary>
    public const string SourceName = "PlProxy.Client";

    /// <summary>Log category of calls: a call that failed (its own remote errors at Debug, as Npgsql logs them; what the infrastructure did at Warning), a call fenced and re-planned.</summary>
    public const string CallsLogCategory = "PlProxy.Client.Calls";

    /// <summary>Log category of clusters: versions loaded from a proxy database or the options, reloads refused, proxy database checks that failed.</summary>
    public const string ClustersLogCategory = "PlProxy.Client.Clusters";

    /// <summary>Log category of resilience: retries and circuit breakers.</summary>
    public const string ResilienceLogCategory = "PlProxy.Client.Resilience";

    /// <summary>Tag: always <c>postgresql</c>.</summary>
    public const string DbSystem = "db.system.name";

    /// <summary>Tag: the remote function (PL/Proxy's function name).</summary>
    public const string DbOperation = "db.operation.name";

    /// <summary>Tag: the partition's database name.</summary>
    public const string DbNamespace = "db.namespace";

    /// <summary>Tag: the SQLSTATE of an error.</summary>
    public const string DbResponseStatusCode = "db.response.status_code";

    /// <summary>Tag: on failures, the SQLSTATE of a <see cref="PlProxyException"/>, else the exception's full type name.</summary>
    public const string ErrorType = "error.type";

    /// <summary>Tag: the partition server's host name or address (as its connection string gives it).</summary>
    public const string ServerAddress = "server.address";

    /// <summary>Tag: the partition server's port.</summary>
    public const string ServerPort = "server.port";

    /// <summary>Tag: the cluster name.</summary>
    public const string Cluster = "plproxy.cluster";

    /// <summary>Tag: the partition index.</summary>
    public const string Partition = "plproxy.partition";

    /// <summary>Tag: the rows a partition returned.</summary>
    public const string Rows = "plproxy.rows";

    /// <summary>Tag: a circuit breaker's new state (<c>open</c>, <c>half-open</c>, <c>closed</c>).</summary>
    public const string BreakerState = "plproxy.circuit_breaker.state";

    /// <summary>Tag: the number of databases a call ran on.</summary>
    public const string Targets = "plproxy.targets";

    /// <summary>Histogram (seconds): the duration of a proxied call.</summary>
    public const string CallDuration = "db.client.operation.duration";

    /// <summary>Histogram: the calls one round trip to a partition database carried (coalesced calls).</summary>
    public const string BatchSize = "plproxy.client.batch.size";

    /// <summary>Histogram (seconds): how long a call waited for one of its partition database's connections.</summary>
    public const string QueueWait = "plproxy.client.queue.wait";

    /// <summary>UpDownCounter: the connections in use to a partition database under a connection cap.</summary>
    public const string ConnectionsInUse = "plproxy.client.connections.in_use";

    /// <summary>Histogram (seconds): the duration of one partition's part of a call.</summary>
    public const string PartitionDuration = "plproxy.client.partition.duration";

    /// <summary>Counter: failed calls.</summary>
    public const string Errors = "plproxy.client.errors";

    /// <summary>Counter: retried partition attempts.</summary>
    public const string Retries = "plproxy.client.retries";

    /// <summary>Counter: calls a partition's partconf fence refused (SQLSTATE PX001), each then re-planned and sent again or failed as a stale map.</summary>
    public const string FencedCalls = "plproxy.client.fenced_calls";

    /// <summary>Counter: circuit breaker state changes.</summary>
    public const string BreakerStateChanges = "plproxy.client.circuit_breaker.state_changes";

    /// <summary>Histogram (seconds): a standby's staleness as each check of its partition measures it (how long ago the primary had no commit it lacks).</summary>
    public const string StandbyLag = "plproxy.client.standby.lag";

    /// <summary>Counter: calls marked to read from a standby, tagged with where each went (a standby's address, or the primary's).</summary>
    public const string StandbyReads = "plproxy.client.standby.reads";

    /// <summary>Tag: where a standby read went, <c>standby</c> or <c>primary</c>.</summary>
    public const string ReadTarget = "plproxy.read.target";
}

namespace PlProxy.Client.Telemetry;

/// <summary>The IDs of PlProxy.Client's log events (category <c>PlProxy.Client</c>), stable across versions.</summary>
public static class PlProxyEventId
{
    /// <summary>A call failed (warning): function, cluster, partition, database, SQLSTATE and the exception.</summary>
    public const int CallFailed = 1001;

    /// <summary>A partition attempt is retried (information): function, partition, database, cluster and retry number.</summary>
    public const int Retrying = 1002;

    /// <summary>
    /// A partition's partconf fence refused a call (information): function, cluster, partition, database and how many
    /// times; the call is re-planned on a refreshed map and sent again.
    /// </summary>
    public const int CallFenced = 1003;

    /// <summary>A cluster was reloaded from the proxy database (information): cluster and version.</summary>
    public const int ClusterReloaded = 2001;

    /// <summary>Checking the proxy database for changed clusters failed (warning); the versions in use stay.</summary>
    public const int RefreshFailed = 2002;

    /// <summary>A configuration reload was refused (warning): the validation failures; the clusters in use stay.</summary>
    public const int ReloadRefused = 2003;

    /// <summary>A partition's circuit breaker changed state (warning): cluster, partition, database and state.</summary>
    public const int BreakerStateChanged = 3001;
}

namespace PlProxy.Client.Execution;

/// <summary>A cluster's query_timeout over a call: a token source that expires it, and whether it (not the caller) cancelled.</summary>
internal static class CallTimeout
{
    /// <summary>A token source linked to the caller's that expires after the cluster's query_timeout, or null when it has none.</summary>
    public static CancellationTokenSource? Start(Route route, CancellationToken cancellationToken)
    {
        if (route.Cluster.QueryTimeout is not { } queryTimeout)
        {
            return null;
        }

        var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(queryTimeout);
        return timeout;
    }

    /// <summary>True when the query_timeout fired and the caller did not cancel.</summary>
    public static bool TimedOut(CancellationTokenSource? timeout, CancellationToken cancellationToken) =>
        timeout is { IsCancellationRequested: true } && !cancellationToken.IsCancellationRequested;
}

namespace PlProxy.Client.Execution;

/// <summary>
/// A call cancelled (or past its query_timeout) after it went to the server in a round trip shared with other calls:
/// its caller stops waiting, and its statement runs on with the others, so it may still commit (the round trip is
/// stopped once all its callers have left: nothing of it commits then).
/// </summary>
internal sealed class AbandonedCallException(CancellationToken cancellationToken)
    : OperationCanceledException("The call was cancelled after it went to its partition in a round trip shared with other calls; its statement ran on with theirs (a round trip is stopped only once all its callers have left) and may have completed.", null, cancellationToken);

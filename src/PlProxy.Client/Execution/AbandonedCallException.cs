namespace PlProxy.Client.Execution;

/// <summary>
/// A call cancelled (or past its query_timeout) after it went to the server in a round trip shared with other calls:
/// its caller stops waiting, and its statement is left to run to its end with the others, so it may still commit.
/// </summary>
internal sealed class AbandonedCallException(CancellationToken cancellationToken)
    : OperationCanceledException("The call was cancelled after it went to its partition in a round trip shared with other calls; its statement was left to finish there and may have completed.", null, cancellationToken);

namespace PlProxy.Client.PgQ;

/// <summary>The event IDs of the PgQ package's log events (category: the hosted consumer's type); they are stable.</summary>
public static class PgQEventId
{
    /// <summary>A hosted consumer registered itself on its queue (Information).</summary>
    public const int Registered = 4001;

    /// <summary>An event's handler failed; the event is deferred to a later batch (Warning).</summary>
    public const int Retried = 4002;

    /// <summary>An event failed past its retries and went to <c>plproxy_pgq.dead_letter</c> (Error).</summary>
    public const int DeadLettered = 4003;

    /// <summary>The queue's database cannot be reached; the consumer backs off and tries again (Warning).</summary>
    public const int DatabaseAway = 4004;
}

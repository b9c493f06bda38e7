namespace PlProxy.Client.Connections;

/// <summary>What the standby monitor last saw a host of a replicated partition to be.</summary>
internal enum ReplicaRole
{
    /// <summary>Not checked yet.</summary>
    Unknown,

    /// <summary>Not in recovery: the primary, which takes the writes.</summary>
    Primary,

    /// <summary>In recovery: a standby replaying the primary's WAL.</summary>
    Standby,

    /// <summary>Its last check (or a read sent to it) could not reach it.</summary>
    Down,

    /// <summary>
    /// Another server's: its system identifier is not the primary's, so it is no copy of it (a host listed with the
    /// wrong partition). Never read from.
    /// </summary>
    Foreign,

    /// <summary>
    /// In recovery on another timeline than the primary's: after a failover, a standby left on the old primary's
    /// timeline (it may hold commits the new primary never had), or one not yet switched to the new one. Not read from
    /// until it is on the primary's timeline.
    /// </summary>
    OtherTimeline,
}

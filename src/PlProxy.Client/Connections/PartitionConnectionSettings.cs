namespace PlProxy.Client.Connections;

/// <summary>What a cluster's options add to each partition's connection string.</summary>
/// <param name="ConnectTimeout">How long opening a connection may take, or null for Npgsql's default.</param>
/// <param name="ConnectionLifetime">How long a pooled connection lives, or null for no limit.</param>
/// <param name="KeepAlive">The interval of TCP keepalives, or null for none.</param>
/// <param name="MaxPoolSize">The pool's upper bound, or null for Npgsql's default.</param>
/// <param name="MinPoolSize">The pool's lower bound, or null for Npgsql's default.</param>
/// <param name="DefaultUser">The user of a connection string that names none.</param>
/// <param name="BehindTransactionPooler">True when a pooler hands server connections to other clients between transactions.</param>
internal sealed record PartitionConnectionSettings(
    TimeSpan? ConnectTimeout = null,
    TimeSpan? ConnectionLifetime = null,
    TimeSpan? KeepAlive = null,
    int? MaxPoolSize = null,
    int? MinPoolSize = null,
    string? DefaultUser = null,
    bool BehindTransactionPooler = false)
{
    /// <summary>Npgsql's defaults and nothing else (a CONNECT target).</summary>
    public static PartitionConnectionSettings None { get; } = new();
}

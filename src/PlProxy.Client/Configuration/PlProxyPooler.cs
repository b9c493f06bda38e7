namespace PlProxy.Client.Configuration;

/// <summary>The connection pooler in front of a cluster's partitions; PlProxy.Client sets Npgsql up to suit it.</summary>
public enum PlProxyPooler
{
    /// <summary>Direct connections (or a pooler in session mode): Npgsql's defaults.</summary>
    None,

    /// <summary>pgBouncer in transaction pooling mode: no connection reset, no prepared statements kept across calls.</summary>
    PgBouncerTransaction,

    /// <summary>pgBouncer in statement pooling mode, the mode made for PL/Proxy: as for transaction mode; every call is one autocommit statement.</summary>
    PgBouncerStatement,
}

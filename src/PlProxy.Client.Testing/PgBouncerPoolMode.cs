namespace PlProxy.Client.Testing;

/// <summary>pgBouncer's pooling modes.</summary>
public enum PgBouncerPoolMode
{
    /// <summary>A server connection per client session.</summary>
    Session,

    /// <summary>A server connection per transaction.</summary>
    Transaction,

    /// <summary>A server connection per statement: the mode made for PL/Proxy.</summary>
    Statement,
}

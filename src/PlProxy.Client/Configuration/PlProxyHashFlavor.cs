namespace PlProxy.Client.Configuration;

/// <summary>Which <c>hashtext</c> a cluster was partitioned with.</summary>
public enum PlProxyHashFlavor
{
    /// <summary>PostgreSQL 8.4 and later (lookup3): the default.</summary>
    Modern,

    /// <summary>PostgreSQL 8.3 and older (lookup2), for clusters partitioned before 8.4 that keep their layout.</summary>
    Legacy83,
}

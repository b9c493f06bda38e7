namespace PlProxy.Client.Configuration;

/// <summary>How <c>lower()</c> and <c>upper()</c> in hash expressions treat non-ASCII letters.</summary>
public enum PlProxyCaseMapping
{
    /// <summary>Non-ASCII text is an error: its case mapping depends on the proxy database's locale. The default.</summary>
    AsciiOnly,

    /// <summary>Only ASCII letters change, as in a proxy database whose collation was C.</summary>
    CLocale,
}

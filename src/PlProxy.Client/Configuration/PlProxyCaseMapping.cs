namespace PlProxy.Client.Configuration;

/// <summary>How <c>lower()</c> and <c>upper()</c> in hash expressions treat non-ASCII letters.</summary>
public enum PlProxyCaseMapping
{
    /// <summary>Non-ASCII text is an error: its case mapping depends on the proxy database's locale. The default.</summary>
    AsciiOnly,

    /// <summary>Only ASCII letters change, as in a proxy database whose collation was C.</summary>
    CLocale,

    /// <summary>
    /// ASCII letters change as a Turkish or Azerbaijani locale changes them (<c>lower('I')</c> is <c>ı</c>,
    /// <c>upper('i')</c> is <c>İ</c>); non-ASCII text is an error. Read from a proxy database whose locale maps them so.
    /// </summary>
    Turkic,
}

namespace PlProxy.Client.Language;

/// <summary>
/// Every PLPX diagnostic ID, compile-time and run-time, in one place. Bands: 0xxx interface and signature shape,
/// 1xxx PL/Proxy body syntax, 2xxx routing semantics, 3xxx cluster and configuration, 8xxx performance advice,
/// 9999 internal error. IDs are stable: a retired ID is never reused.
/// </summary>
internal static class DiagnosticIds
{
    // 1xxx: body syntax.

    /// <summary>A token that the PL/Proxy grammar does not allow here.</summary>
    public const string SyntaxError = "PLPX1001";

    /// <summary>A statement kind given twice ("Only one CLUSTER statement allowed").</summary>
    public const string DuplicateStatement = "PLPX1002";

    /// <summary>A string, quoted identifier, dollar quote or comment that never ends.</summary>
    public const string Unterminated = "PLPX1003";

    /// <summary>An expression nested deeper than <see cref="Binder.MaxExpressionDepth"/> (calls, parentheses, casts and <c>||</c> together).</summary>
    public const string ExpressionTooDeep = "PLPX1004";

    // 2xxx: routing semantics.

    /// <summary>Neither CLUSTER nor CONNECT ("CLUSTER statement missing").</summary>
    public const string ClusterMissing = "PLPX2001";

    /// <summary>CONNECT together with CLUSTER or RUN.</summary>
    public const string ConnectWithClusterOrRun = "PLPX2002";

    /// <summary>TARGET together with SELECT.</summary>
    public const string TargetWithSelect = "PLPX2003";

    /// <summary>A <c>$n</c> or name that is no argument of the function.</summary>
    public const string InvalidArgumentReference = "PLPX2004";

    /// <summary>RUN ON ALL on a function that does not return a set.</summary>
    public const string RunOnAllRequiresSet = "PLPX2005";

    /// <summary>SPLIT of an argument that is not an array.</summary>
    public const string SplitNotArray = "PLPX2006";

    /// <summary>The same SPLIT argument named twice.</summary>
    public const string SplitDuplicate = "PLPX2007";

    /// <summary>A function in RUN ON, CLUSTER or CONNECT that is neither built in nor registered.</summary>
    public const string UnknownFunction = "PLPX2008";

    /// <summary>SQL in RUN ON, CLUSTER or CONNECT that the client cannot evaluate exactly as PostgreSQL would.</summary>
    public const string UnsupportedExpression = "PLPX2009";

    /// <summary>A hash that is not int2, int4 or int8.</summary>
    public const string HashTypeInvalid = "PLPX2010";

    /// <summary>A statement given by both the interface and the method without the method replacing it.</summary>
    public const string StatementAtBothLevels = "PLPX2011";

    /// <summary>A function called with argument types it does not take.</summary>
    public const string ArgumentTypeMismatch = "PLPX2012";

    /// <summary>A set-returning hash function on a function that does not return a set.</summary>
    public const string SetHashRequiresSet = "PLPX2013";

    /// <summary>A CLUSTER or CONNECT function whose result is not text.</summary>
    public const string NameTypeInvalid = "PLPX2014";
}

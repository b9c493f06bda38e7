namespace PlProxy.Client.Planning;

/// <summary>The random numbers RUN ON ANY draws; injectable so that tests are deterministic.</summary>
internal interface IRandomSource
{
    /// <summary>A non-negative 31-bit random number, like PL/Proxy's <c>random() &amp; 0x7FFFFFFF</c>.</summary>
    int Next();
}

/// <summary>The shared thread-safe generator.</summary>
internal sealed class SharedRandomSource : IRandomSource
{
    public static readonly SharedRandomSource Instance = new();

    public int Next() => Random.Shared.Next();
}

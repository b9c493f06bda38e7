using BenchmarkDotNet.Attributes;
using PlProxy.Client.Hashing;

namespace PlProxy.Client.Benchmarks;

/// <summary>The managed PostgreSQL hash functions: time per call and bytes allocated (must be 0).</summary>
[MemoryDiagnoser]
[MedianColumn]
public class HashBenchmarks
{
    /// <summary>ASCII keys of 8, 32, 256 and 4096 characters: a typical key, a long key, the stack-buffer range and the pooled-buffer range.</summary>
    public static IEnumerable<string> AsciiKeys() => [Ascii(8), Ascii(32), Ascii(256), Ascii(4096)];

    [Benchmark]
    [ArgumentsSource(nameof(AsciiKeys))]
    public int HashText(string key) => PgHash.HashText(key);

    [Benchmark]
    [Arguments(1_000_000_007L)]
    public int HashInt8(long value) => PgHash.HashInt8(value);

    private static string Ascii(int length)
    {
        var random = new Random(length);
        return string.Create(length, random, static (span, r) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = (char)r.Next('a', 'z' + 1);
            }
        });
    }
}

using System.Reflection;
using PlProxy.Client.Configuration;
using PlProxy.Client.Resilience;
using PlProxy.Client.TestSupport;

namespace PlProxy.Client.Tests.Configuration;

/// <summary>The docs site's option reference (docs/configuration.md, "Every option") names every public option, so none goes undocumented.</summary>
public sealed class OptionsDocumentationTests
{
    [Fact]
    public void EveryPublicOption_HasARowInTheReference()
    {
        string page = File.ReadAllText(Path.Combine(Repository.Root, "docs", "configuration.md"));
        static IEnumerable<string> Options(Type type, string prefix = "") =>
            type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.PropertyType != typeof(PlProxyRetryOptions) && p.PropertyType != typeof(PlProxyCircuitBreakerOptions))
                .Select(p => prefix + p.Name);

        string[] options =
        [
            .. Options(typeof(PlProxyOptions)),
            .. Options(typeof(PlProxyClusterOptions)),
            .. Options(typeof(PlProxyRetryOptions), "Retry:"),
            .. Options(typeof(PlProxyCircuitBreakerOptions), "CircuitBreaker:"),
        ];

        Assert.Equal([], options.Where(option => !page.Contains($"| `{option}` |", StringComparison.Ordinal)).ToArray());
        Assert.True(options.Length >= 35, $"only {options.Length} options found");
    }
}

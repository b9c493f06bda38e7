using PlProxy.Client.Execution;

namespace PlProxy.Client.Tests.Execution;

/// <summary>Numerics a test executor's rows give as .NET decimals order as the decimals do, whatever their scale.</summary>
public sealed class PgNumericTests
{
    private static readonly decimal[] Values =
    [
        0m, 0.0000m, 1m, 1.0m, 1.00m, -1m, 0.0001m, 0.00001m, -0.00001m, 9999m, 10000m, 10000.0001m, 12345.6789m,
        -12345.6789m, 123456789012345678.9012345678m, decimal.MaxValue, decimal.MinValue, 0.5m, 0.05m, -0.5m, 100m, 99.99m,
    ];

    [Fact]
    public void Of_DecimalsOfAnyScale_ComparesAsTheDecimalsDo()
    {
        foreach (decimal x in Values)
        {
            foreach (decimal y in Values)
            {
                Assert.True(
                    Math.Sign(PgNumeric.Compare(PgNumeric.Of(x), PgNumeric.Of(y))) == x.CompareTo(y),
                    $"{x} against {y}: {PgNumeric.Compare(PgNumeric.Of(x), PgNumeric.Of(y))}, as decimals {x.CompareTo(y)}");
            }
        }
    }
}

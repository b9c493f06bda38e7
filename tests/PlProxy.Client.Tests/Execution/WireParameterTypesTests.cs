using Npgsql;
using NpgsqlTypes;
using PlProxy.Client.Execution;
using PlProxy.Client.Language;

namespace PlProxy.Client.Tests.Execution;

/// <summary>Arguments are declared to Npgsql by NpgsqlDbType where it has one, by name otherwise.</summary>
public sealed class WireParameterTypesTests
{
    public static TheoryData<string> NativeTypes() => [.. ClrTypeMap.NativeWireTypes.SelectMany(type => new[] { type, type + "[]" })];

    [Theory]
    [MemberData(nameof(NativeTypes))]
    public void Declare_NativeType_SetsTheNpgsqlDbTypeOfThatName(string pgType)
    {
        var parameter = new NpgsqlParameter();

        WireParameterTypes.Declare(parameter, pgType);

        Assert.NotEqual(NpgsqlDbType.Unknown, parameter.NpgsqlDbType);
        Assert.Equal(new NpgsqlParameter { DataTypeName = pgType }.NpgsqlDbType, parameter.NpgsqlDbType);
    }

    [Theory]
    [InlineData("mood")]
    [InlineData("mood[]")]
    [InlineData("shop.currency_code")]
    public void Declare_TypeNpgsqlHasNoDbTypeFor_KeepsTheName(string pgType)
    {
        var parameter = new NpgsqlParameter();

        WireParameterTypes.Declare(parameter, pgType);

        Assert.Equal(pgType, parameter.DataTypeName);
    }
}

using PlProxy.Client.Planning;

namespace PlProxy.Client.Tests.Planning;

/// <summary>What every proxy method and command is bound through refuses before anything is planned.</summary>
public sealed class RemoteCallTests
{
    [Fact]
    public void Bind_OfArgumentsWhoseNamesDifferOnlyInCase_IsRefusedNamingThem()
    {
        var refused = Assert.Throws<InvalidOperationException>(() => RemoteCall.Bind(
            "get_balance", "CLUSTER 'userdb';", "RUN ON hashtext(Username);", false, [("username", "text"), ("Username", "text")], returnsSet: false, "numeric", isVoid: false, [], idempotent: false));

        Assert.Contains("two arguments named 'username'", refused.Message, StringComparison.Ordinal);
    }
}

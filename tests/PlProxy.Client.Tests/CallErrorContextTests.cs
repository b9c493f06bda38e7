namespace PlProxy.Client.Tests;

public sealed class CallErrorContextTests
{
    [Fact]
    public void Error_AtAPartitionDatabase_NamesTheFunctionAndDatabaseAndFillsEveryProperty()
    {
        var context = new CallErrorContext("get_balance(1)", "get_balance", "userdb").At(2, "userdb_p2");

        PlProxyException error = context.Error("REMOTE ERROR: boom", "23505");

        Assert.Equal("get_balance(1): [userdb_p2] REMOTE ERROR: boom", error.Message);
        Assert.Equal(("23505", "userdb", "get_balance", (int?)2, "userdb_p2"), (error.SqlState, error.Cluster, error.Function, error.PartitionIndex, error.Database));
    }

    [Fact]
    public void Error_BeforeAPartitionIsChosen_LeavesPartitionAndDatabaseEmpty()
    {
        PlProxyException error = new CallErrorContext("get_balance(1)", "get_balance", "userdb").Error("no such cluster: userdb");

        Assert.Equal("get_balance(1): no such cluster: userdb", error.Message);
        Assert.Equal((PlProxyException.InternalErrorState, (int?)null, (string?)null), (error.SqlState, error.PartitionIndex, error.Database));
    }
}

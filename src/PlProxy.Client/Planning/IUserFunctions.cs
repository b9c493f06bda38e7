namespace PlProxy.Client.Planning;

/// <summary>Runs the application's functions (hash, cluster and connect functions) during planning.</summary>
internal interface IUserFunctions
{
    /// <summary>Calls the scalar function <paramref name="name"/>.</summary>
    SqlValue Invoke(string name, ReadOnlySpan<SqlValue> arguments);

    /// <summary>Calls the set-returning function <paramref name="name"/>.</summary>
    IEnumerable<SqlValue> InvokeSet(string name, SqlValue[] arguments);
}

namespace PlProxy.Client.IntegrationTests;

public sealed record UserRow(string Username, decimal Balance, string Currency, string? Email);

public sealed record Account(decimal Balance, string Currency);

public sealed class PartitionStats
{
    public string Db { get; init; } = "";

    public long UserCount { get; init; }

    public decimal Total { get; init; }
}

public sealed record UserBalance(string Username, decimal Balance);

/// <summary>The contract, verbatim, plus a few shapes the tests need.</summary>
[PlProxy("CLUSTER 'userdb';")]
public interface IUserDb
{
    [PlProxy("RUN ON hashtext(username);")]
    Task<decimal> GetBalanceAsync(string username, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON hashtext(username);")]
    Task<UserRow?> GetUserAsync(string username, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON ALL;")]
    IAsyncEnumerable<PartitionStats> GetStatsAsync(CancellationToken cancellationToken = default);

    [PlProxy("RUN ON ANY;")]
    Task<string> AnyDatabaseAsync(CancellationToken cancellationToken = default);

    [PlProxy("SPLIT usernames, amounts; RUN ON hashtext(usernames);")]
    Task<IReadOnlyList<string>> AddBalancesAsync(string[] usernames, decimal[] amounts, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON hashtext(username); TARGET user_email;")]
    Task<string?> EmailAsync(string username, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON hashtext(username); SELECT a.balance, a.currency FROM users a WHERE a.username = username;")]
    Task<Account> GetAccountAsync(string username, CancellationToken cancellationToken = default);

    // Shapes beyond the contract.

    [PlProxy("RUN ON ALL; TARGET get_stats;")]
    Task<IReadOnlyList<PartitionStats>> GetStatsListAsync(CancellationToken cancellationToken = default);

    [PlProxy("SPLIT usernames; RUN ON hashtext(usernames); TARGET get_balances;")]
    Task<IReadOnlyList<UserBalance>> GetBalancesAsync(IReadOnlyList<string> usernames, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON hashtext(username); SELECT u.balance FROM users u WHERE u.username = username;")]
    Task<decimal> BalanceOrNoRowAsync(string username, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON ANY; SELECT u.balance FROM users u;")]
    Task<decimal> AnyBalanceAsync(CancellationToken cancellationToken = default);

    [PlProxy("RUN ON hashtext(username); TARGET get_balance;")]
    Task<decimal?> FindBalanceAsync(string username, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON hashtext(username); TARGET raise_error;")]
    Task<int> RaiseAsync(string username, string sqlState, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON 0; TARGET pg_sleep;")]
    Task SleepAsync(double seconds, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON hashtext(username); TARGET set_email;")]
    ValueTask SetEmailAsync(string username, string? email, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON user_id; SELECT $1::int8 % 100 AS r;")]
    ValueTask<long?> EchoAsync(long user_id, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON my_hash(username); TARGET get_balance;")]
    Task<decimal> GetBalanceByCustomHashAsync(string username, CancellationToken cancellationToken = default);

    [HashFunction("my_hash")]
    static int MyHash(string username) => Hashing.PgHash.HashText(username);

    [PlProxy("CONNECT connstr; SELECT current_database()::text;", ReplacesInterfaceStatements = true)]
    Task<string> DatabaseAtAsync(string connstr, CancellationToken cancellationToken = default);

    [PlProxy("CONNECT partition_of(n); SELECT current_database()::text;", ReplacesInterfaceStatements = true)]
    Task<string> DatabaseOfPartitionAsync(int n, CancellationToken cancellationToken = default);

    [PlProxy("CLUSTER pick(region); RUN ON hashtext(username); SELECT get_balance(username);", ReplacesInterfaceStatements = true)]
    Task<decimal?> RegionalBalanceAsync(string region, string username, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON 0;")]
    Task<TypeEcho> EchoTypesAsync(
        short a, int b, long c, bool d, decimal e, double f, float g, Guid h, DateTime i, DateOnly j, TimeOnly k,
        byte[] l, IReadOnlyList<string> m, int[] n, string? o, TimeSpan p, DateTimeOffset q, int? r, [PgType("varchar")] string s,
        CancellationToken cancellationToken = default);

    [PlProxy("RUN ON 0; SELECT m::text AS r;")]
    Task<string?> MoodLabelAsync([PgType("mood")] Mood? m, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON ALL; SELECT 10 / (CASE WHEN current_database() = 'part2' THEN 0 ELSE 1 END) AS r;")]
    Task<IReadOnlyList<int>> FailOnPartitionTwoAsync(CancellationToken cancellationToken = default);

    [PlProxy("RUN ON ALL; SELECT n FROM generate_series(1, 5000) n WHERE current_database() <> 'part1' OR n < 100 OR 1 / (5000 - n) > -1;")]
    IAsyncEnumerable<int> StreamThenFailAsync(CancellationToken cancellationToken = default);

    // Single-row shapes whose remote query may return no row: PL/Proxy's rule makes that P0002 for every one of them.

    [PlProxy("RUN ON hashtext(username); SELECT u.balance FROM users u WHERE u.username = username;")]
    Task<decimal?> NullableBalanceOrNoRowAsync(string username, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON hashtext(username); SELECT u.balance, u.currency FROM users u WHERE u.username = username;")]
    Task<Account?> AccountOrNoRowAsync(string username, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON hashtext(username); SELECT count(*) AS r FROM users u WHERE u.username = username GROUP BY u.username;")]
    ValueTask<long> CountOrNoRowAsync(string username, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON hashtext(username); SELECT u.email FROM users u WHERE u.username = username;")]
    ValueTask<string?> EmailOrNoRowAsync(string username, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON hashtext(username); SELECT 1 FROM users u WHERE u.username = username;")]
    Task TouchOrNoRowAsync(string username, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON hashtext(username); SELECT 1 FROM users u WHERE u.username = username;")]
    ValueTask TouchOrNoRowValueAsync(string username, CancellationToken cancellationToken = default);

    // A set of hashes: every partition tagged, once, in the order first tagged.
    [PlProxy("RUN ON hash_pair(username); SELECT current_database()::text;")]
    Task<IReadOnlyList<string>> WherePairAsync(string username, CancellationToken cancellationToken = default);

    [HashFunction("hash_pair")]
    static IEnumerable<int> HashPair(string username) => [Hashing.PgHash.HashText(username), Hashing.PgHash.HashText(username + "x")];

    [ConnectFunction("partition_of")]
    static string PartitionOf(int n) => PartitionDirectory.ConnectionStrings[n];

    [ClusterFunction("pick")]
    static string Pick(string region) => region == "eu" ? "userdb" : "elsewhere";
}

/// <summary>Where the CONNECT function finds the partitions' connection strings (set by the fixture).</summary>
public static class PartitionDirectory
{
    public static string[] ConnectionStrings { get; set; } = [];
}

public enum Mood
{
    Sad,
    VeryHappy,
}

public sealed record TypeEcho(
    short A, int B, long C, bool D, decimal E, double F, float G, Guid H, DateTime I, DateOnly J, TimeOnly K,
    byte[] L, string[] M, int[] N, string? O, TimeSpan P, DateTimeOffset Q, int? R, string S);

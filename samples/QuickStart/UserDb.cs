using PlProxy.Client;

namespace QuickStart;

public sealed record PartitionStats(string Db, long UserCount, decimal Total);

/// <summary>Users partitioned by hashtext(username), the classic PL/Proxy layout.</summary>
[PlProxy("CLUSTER 'userdb';")]
public interface IUserDb
{
    [PlProxy("RUN ON hashtext(username);")]
    Task<bool> CreateUserAsync(string username, decimal balance, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON hashtext(username);")]
    Task<decimal?> GetBalanceAsync(string username, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON ANY; SELECT current_database()::text;")]
    Task<string> AnyDatabaseAsync(CancellationToken cancellationToken = default);

    [PlProxy("RUN ON ALL;")]
    IAsyncEnumerable<PartitionStats> GetStatsAsync(CancellationToken cancellationToken = default);

    [PlProxy("SPLIT usernames, amounts; RUN ON hashtext(usernames);")]
    Task<IReadOnlyList<string>> AddBalancesAsync(string[] usernames, decimal[] amounts, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON hashtext(username);")]
    Task<decimal> WithdrawAsync(string username, decimal amount, CancellationToken cancellationToken = default);
}

/// <summary>The geographical split: clusters 'us' and 'row' (rest of world), chosen by the country of the call.</summary>
[PlProxy("CLUSTER geo_cluster(country); RUN ON hashtext(username);")]
public interface IGeoDb
{
    [PlProxy("TARGET create_user;")]
    Task<bool> CreateUserAsync(string country, string username, decimal balance, CancellationToken cancellationToken = default);

    [PlProxy("SELECT current_database()::text AS r;")]
    Task<string> HomeOfAsync(string country, string username, CancellationToken cancellationToken = default);

    [ClusterFunction("geo_cluster")]
    static string GeoCluster(string country) => country is "US" or "CA" or "MX" ? "us" : "row";
}

/// <summary>The partition side: what every partition database runs.</summary>
public static class Schema
{
    public const string Sql = """
        create table if not exists users (username text primary key, balance numeric not null);
        create or replace function create_user(i_username text, i_balance numeric) returns bool language sql as $$
            insert into users values (i_username, i_balance) on conflict (username) do update set balance = excluded.balance returning true $$;
        create or replace function create_user(i_country text, i_username text, i_balance numeric) returns bool language sql as $$
            select create_user(i_username, i_balance) $$;
        create or replace function get_balance(i_username text) returns numeric language sql as $$
            select balance from users where username = i_username $$;
        create or replace function get_stats() returns table(db text, user_count int8, total numeric) language sql as $$
            select current_database()::text, count(*), coalesce(sum(balance), 0) from users $$;
        create or replace function add_balances(i_usernames text[], i_amounts numeric[]) returns setof text language sql as $$
            update users u set balance = u.balance + x.amount from unnest(i_usernames, i_amounts) x(username, amount)
            where u.username = x.username returning u.username || ' @ ' || current_database() $$;
        create or replace function withdraw(i_username text, i_amount numeric) returns numeric language plpgsql as $$
        declare new_balance numeric;
        begin
            update users set balance = balance - i_amount where username = i_username returning balance into new_balance;
            if new_balance < 0 then
                raise exception 'insufficient funds for %', i_username using errcode = 'P0001', hint = 'deposit first';
            end if;
            return new_balance;
        end $$;
        """;
}

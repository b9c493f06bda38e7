using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using PlProxy.Client;

namespace Shop.Data
{
    public sealed record Account(decimal Balance, string Currency);

    public sealed class Stats
    {
        public string Db { get; init; } = "";
        public long? UserCount { get; set; }
    }

    public partial class Outer
    {
        [PlProxy("CLUSTER 'userdb';")]
        public interface IUserDb
        {
            [PlProxy("RUN ON hashtext(username);")]
            Task<decimal> GetBalanceAsync(string username, CancellationToken cancellationToken = default);

            [PlProxy("RUN ON hashtext(username);")]
            ValueTask<Account?> GetAccountAsync(string username, CancellationToken cancellationToken = default);

            [PlProxy("RUN ON ALL;")]
            IAsyncEnumerable<Stats> GetStatsAsync(CancellationToken cancellationToken = default);

            [PlProxy("SPLIT names; RUN ON my_hash(names);")]
            Task<IReadOnlyList<string?>> EchoAsync(IReadOnlyList<string> names, int @event, CancellationToken cancellationToken = default);

            [PlProxy("CLUSTER pick(region);", ReplacesInterfaceStatements = true)]
            ValueTask TouchAsync(string region);

            [HashFunction("my_hash")]
            static long MyHash(string name) => name.Length;

            [ClusterFunction("pick")]
            static string Pick(string region) => region == "us" ? "us" : "row";
        }
    }
}

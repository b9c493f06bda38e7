using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using PlProxy.Client;

namespace Bank.Data;

public enum Mood
{
    Sad,
    VeryHappy,
}

[PlProxy("CLUSTER 'bank';")]
public interface ITransfers
{
    // Several parameters of one type: each goes to its own placeholder, in order.
    [PlProxy("RUN ON hashtext(from);")]
    Task<int> TransferAsync(string from, string to, string note, long amount, long fee, CancellationToken cancellationToken = default);

    [PlProxy("SPLIT ids, amounts; RUN ON ids;")]
    Task<IReadOnlyList<long>> ApplyAsync(long[] ids, decimal[] amounts, CancellationToken cancellationToken = default);

    [PlProxy("CONNECT target(region); SELECT m::text AS r, when_at;", ReplacesInterfaceStatements = true)]
    Task<string?> MoodAtAsync(string region, [PgType("mood")] Mood? m, DateTime when_at, CancellationToken cancellationToken = default);

    [ConnectFunction("target")]
    static string Target(string region) => $"Host={region}-db;Database=bank";
}

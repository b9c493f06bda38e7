using System.Diagnostics;
using Npgsql;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>
/// The fence on a source database: partconf refuses (PX001, nothing written) every call and row whose key is moving,
/// until the fence is lifted or expires; then the writes accepted before it are waited out.
/// </summary>
internal static class Fence
{
    /// <summary>Raises the fence for <paramref name="lifetime"/>; returns the moment it stood (the server's clock).</summary>
    public static async Task<DateTime> RaiseAsync(NpgsqlDataSource source, ReshardSource plan, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        await source.ExecuteAsync("select partconf.fence($1::int4[], $2, $3)", cancellationToken, plan.FencedPartitions, plan.FenceCount, lifetime.TotalSeconds).ConfigureAwait(false);
        return await source.ScalarAsync<DateTime>("select clock_timestamp()", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lifts the fence (nothing when there is none).</summary>
    public static Task LiftAsync(NpgsqlDataSource source, CancellationToken cancellationToken) =>
        source.ExecuteAsync("select partconf.unfence()", cancellationToken);

    /// <summary>
    /// Waits until every transaction of the source database that began before the fence stood has ended: a write that
    /// passed partconf before the fence is then committed (or rolled back), so the next marker follows it.
    /// </summary>
    public static async Task DrainAsync(NpgsqlDataSource source, DateTime raised, string name, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            List<(int Pid, string State)> open = await source.ListAsync("""
                select pid, coalesce(state, '') from pg_catalog.pg_stat_activity
                where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid() and xact_start < $1
                """, r => (r.GetInt32(0), r.GetString(1)), cancellationToken, raised).ConfigureAwait(false);
            if (open.Count == 0)
            {
                return;
            }

            if (waited.Elapsed > timeout)
            {
                throw new TimeoutException($"{name}: {open.Count} transactions begun before the fence are still open after {timeout.TotalSeconds:0.#} s (pid {string.Join(", ", open.Select(o => $"{o.Pid} {o.State}"))}); the fence is lifted, nothing was switched.");
            }

            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }
    }
}

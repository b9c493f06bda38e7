using Npgsql;
using PlProxy.Client.Hashing;
using PlProxy.Client.PgQ;

namespace Transfers;

/// <summary>The bank's partitions: schema, queue, consumer, ticker and the credit consumer.</summary>
public static class Bank
{
    /// <summary>Each partition: accounts, the transfers queue (consumer 'credits' registered), debit and credit.</summary>
    public const string PartitionSchema = """
        create extension if not exists pgq;
        select pgq.create_queue('transfers');
        select pgq.set_queue_config('transfers', 'ticker_max_lag', '200 milliseconds'); -- a batch at most 0.2 s after an event
        select pgq.register_consumer('transfers', 'credits');
        create table accounts (username text primary key, balance numeric not null);
        create table credited (transfer_id text primary key);
        create function debit(i_payer text, i_payee text, i_amount numeric, i_transfer_id text) returns numeric language plpgsql as $$
        declare
            left_over numeric;
        begin
            update accounts set balance = balance - i_amount where username = i_payer returning balance into left_over;
            if not found then
                raise exception 'no account %', i_payer;
            end if;
            -- the credit is queued in the debit's own transaction: both commit, or neither
            perform pgq.insert_event('transfers', 'credit', i_transfer_id, i_payee, i_amount::text, null, null);
            return left_over;
        end $$;
        create function credit(i_transfer_id text, i_payee text, i_amount numeric) returns boolean language plpgsql as $$
        begin
            insert into credited values (i_transfer_id) on conflict do nothing;
            if not found then
                return false; -- delivered before: applied once already
            end if;
            update accounts set balance = balance + i_amount where username = i_payee;
            return true;
        end $$;
        create function partition_total() returns numeric language sql as $$ select coalesce(sum(balance), 0) from accounts $$;
        """;

    /// <summary>Opens <paramref name="count"/> accounts with <paramref name="balance"/> each, every one on its partition.</summary>
    public static async Task OpenAccountsAsync(IReadOnlyList<string> partitions, int count, decimal balance, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        for (int p = 0; p < partitions.Count; p++)
        {
            await using var database = NpgsqlDataSource.Create(partitions[p]);
            await using NpgsqlCommand open = database.CreateCommand(
                "insert into accounts select u, $1 from unnest($2::text[]) u");
            open.Parameters.Add(new NpgsqlParameter<decimal> { TypedValue = balance });
            int partition = p;
            open.Parameters.Add(new NpgsqlParameter<string[]>
            {
                TypedValue = [.. Enumerable.Range(0, count).Select(Account).Where(a => Partitions.IndexOf(PgHash.HashText(a), partitions.Count) == partition)],
            });
            await open.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Account number <paramref name="i"/>'s name.</summary>
    public static string Account(int i) => $"acct{i}";

    /// <summary>Ticks every partition's queue (what pgqd does in production) until cancelled.</summary>
    public static async Task TickAsync(IReadOnlyList<string> partitions, TimeSpan every, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        NpgsqlDataSource[] databases = [.. partitions.Select(p => NpgsqlDataSource.Create(p))];
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                foreach (NpgsqlDataSource database in databases)
                {
                    await using NpgsqlCommand tick = database.CreateCommand("select pgq.ticker('transfers')");
                    await tick.ExecuteNonQueryAsync(cancellationToken);
                }

                await Task.Delay(every, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (NpgsqlDataSource database in databases)
            {
                await database.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Applies the queued credits of every partition through the proxy (on the payee's partition), at least once and
    /// idempotently, until cancelled (or, with <paramref name="untilDrained"/>, until no partition has a batch).
    /// Returns the credits applied.
    /// </summary>
    public static async Task<long> ConsumeAsync(IReadOnlyList<string> partitions, IBank bank, bool untilDrained, CancellationToken cancellationToken, List<TimeSpan>? lags = null)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        ArgumentNullException.ThrowIfNull(bank);
        NpgsqlDataSource[] databases = [.. partitions.Select(p => NpgsqlDataSource.Create(p))];
        long applied = 0;
        try
        {
            PgQConsumer[] consumers = [.. databases.Select(d => new PgQConsumer(d, "transfers", "credits"))];
            while (!cancellationToken.IsCancellationRequested)
            {
                bool any = false;
                foreach (PgQConsumer consumer in consumers)
                {
                    PgQBatchResult? batch = await consumer.ProcessBatchAsync(async (_, e, ct) =>
                    {
                        if (await bank.CreditAsync(e.Data!, e.Extra1!, decimal.Parse(e.Extra2!, System.Globalization.CultureInfo.InvariantCulture), ct))
                        {
                            Interlocked.Increment(ref applied);
                            lags?.Add(DateTime.UtcNow - e.Time.ToUniversalTime()); // from the debit's commit to its credit
                        }
                    }, cancellationToken);
                    any |= batch is not null;
                }

                if (!any)
                {
                    if (untilDrained)
                    {
                        break;
                    }

                    await Task.Delay(100, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (NpgsqlDataSource database in databases)
            {
                await database.DisposeAsync();
            }
        }

        return applied;
    }

    /// <summary>Applies every credit queued so far: a forced tick on each partition closes a batch with every committed event.</summary>
    public static async Task DrainAsync(IReadOnlyList<string> partitions, IBank bank, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        foreach (string partition in partitions)
        {
            await using var database = NpgsqlDataSource.Create(partition);
            await using NpgsqlCommand force = database.CreateCommand("select pgq.force_tick('transfers')");
            await force.ExecuteNonQueryAsync(cancellationToken);
            await using NpgsqlCommand tick = database.CreateCommand("select pgq.ticker('transfers')");
            await tick.ExecuteNonQueryAsync(cancellationToken);
        }

        await ConsumeAsync(partitions, bank, untilDrained: true, cancellationToken);
    }
}

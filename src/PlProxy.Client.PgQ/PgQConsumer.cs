using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace PlProxy.Client.PgQ;

/// <summary>
/// A consumer of one PgQ queue, by PgQ's batch protocol: <c>pgq.next_batch_custom</c>, the batch's events through
/// <c>pgq.get_batch_cursor</c> and <c>FETCH</c> inside one transaction (at most <see cref="PgQConsumerOptions.FetchSize"/>
/// events in memory, however large the batch), <c>pgq.event_retry</c> for events the handler defers, and
/// <c>pgq.finish_batch</c> — empty batches included. Delivery is at least once: a batch whose handler fails (or whose
/// consumer dies) is not finished, and the next call gets it again. Processes of one consumer take turns: while one
/// handles a batch, another one's <see cref="ProcessBatchAsync"/> gets none.
/// </summary>
public sealed class PgQConsumer
{
    private const string Cursor = "plproxy_pgq_batch";
    private readonly NpgsqlDataSource _database;
    private readonly PgQConsumerOptions _options;

    /// <summary>Creates a consumer; nothing is sent until it is used.</summary>
    /// <param name="database">The queue's database.</param>
    /// <param name="queue">The queue's name.</param>
    /// <param name="consumer">The consumer's name.</param>
    /// <param name="options">Batch and reading settings; defaults when null.</param>
    public PgQConsumer(NpgsqlDataSource database, string queue, string consumer, PgQConsumerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentException.ThrowIfNullOrEmpty(queue);
        ArgumentException.ThrowIfNullOrEmpty(consumer);
        _options = options ?? new PgQConsumerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.FetchSize, 1, nameof(options));
        _database = database;
        Queue = queue;
        Consumer = consumer;
    }

    /// <summary>The queue's name.</summary>
    public string Queue { get; }

    /// <summary>The consumer's name.</summary>
    public string Consumer { get; }

    /// <summary>
    /// Registers the consumer (<c>pgq.register_consumer</c>): it receives events inserted from now on. Instances that
    /// register one consumer at once (a service's first deployment) wait for each other: PgQ looks for the consumer
    /// before inserting it, so two at once would both insert it and one would fail with a unique violation.
    /// </summary>
    /// <returns>True when it was not registered before.</returns>
    public async Task<bool> RegisterAsync(CancellationToken cancellationToken = default)
    {
        await using NpgsqlBatch batch = _database.CreateBatch(); // one implicit transaction: the lock is held until it ends
        batch.BatchCommands.Add(new NpgsqlBatchCommand("select pg_advisory_xact_lock(hashtextextended('plproxy_pgq.register ' || $1, 0))")
        {
            Parameters = { new NpgsqlParameter<string> { TypedValue = Consumer } },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("select pgq.register_consumer($1, $2)")
        {
            Parameters = { new NpgsqlParameter<string> { TypedValue = Queue }, new NpgsqlParameter<string> { TypedValue = Consumer } },
        });
        await using NpgsqlDataReader reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false); // past the lock's row
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return reader.GetInt32(0) == 1;
    }

    /// <summary>Unregisters the consumer (<c>pgq.unregister_consumer</c>); its open batch and position are dropped.</summary>
    /// <returns>True when it was registered.</returns>
    public async Task<bool> UnregisterAsync(CancellationToken cancellationToken = default) =>
        await ScalarAsync<int>("select pgq.unregister_consumer($1, $2)", cancellationToken).ConfigureAwait(false) > 0;

    /// <summary>The consumer's position (<c>pgq.get_consumer_info</c>), or null when it is not registered.</summary>
    public async Task<PgQConsumerInfo?> InfoAsync(CancellationToken cancellationToken = default)
    {
        await using NpgsqlCommand command = Command("select lag, last_seen, last_tick, current_batch, pending_events from pgq.get_consumer_info($1, $2)");
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new PgQConsumerInfo(
            reader.IsDBNull(0) ? null : reader.GetTimeSpan(0),
            reader.IsDBNull(1) ? null : reader.GetTimeSpan(1),
            reader.GetInt64(2),
            reader.IsDBNull(3) ? null : reader.GetInt64(3),
            reader.IsDBNull(4) ? null : reader.GetInt64(4));
    }

    /// <summary>
    /// Takes the next batch (or the one left open), gives each of its events to <paramref name="handler"/> in order,
    /// then finishes it — retries applied — in the same transaction. A handler that throws leaves the batch open
    /// (nothing of it finished or retried): the next call delivers it again. While another process of the consumer
    /// handles a batch, this returns null at once (no batch for this one), so replicas of a service that all run the
    /// consumer take turns rather than each handle the same batch.
    /// </summary>
    /// <param name="handler">Called for each event, with its batch.</param>
    /// <param name="cancellationToken">Cancels the processing; the batch stays open.</param>
    /// <returns>The batch's id and event count, or null when no batch is ready.</returns>
    public async Task<PgQBatchResult?> ProcessBatchAsync(Func<PgQBatch, PgQBatchEvent, CancellationToken, Task> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        await using NpgsqlConnection connection = await _database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

        // The batch is taken inside its own transaction, with the consumer's turn held until that commits (or rolls
        // back): another process of the consumer that asks meanwhile gets no batch, rather than the open one to handle
        // beside this one, and asks again later.
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        PgQBatch? batch = await TakeTurnAsync(connection, cancellationToken).ConfigureAwait(false)
            ? await NextBatchAsync(connection, cancellationToken).ConfigureAwait(false)
            : null;
        if (batch is null)
        {
            return null;
        }

        using Activity? activity = Started(batch);
        long events = await ReadEventsAsync(batch, async chunk =>
        {
            foreach (PgQBatchEvent @event in chunk)
            {
                await handler(batch, @event, cancellationToken).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
        await FinishAsync(batch, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return Finished(activity, new PgQBatchResult(batch.Id, batch.TickId, events, batch.Retries.Count));
    }

    /// <summary>
    /// Takes the next batch and applies it to <paramref name="target"/> exactly once: in one transaction on the target,
    /// the handler's writes and the batch's tick (<c>plproxy_pgq.completed_tick</c>, created on first use); only then
    /// is the batch finished. A batch whose tick the target already has (the consumer died between the two commits, or
    /// another process of the same consumer applied it first) is finished without applying it again; processes of one
    /// consumer take turns on the target (its row of <c>completed_tick</c> is locked until the target's commit). A target
    /// whose last tick is behind the batch's start, or beyond any tick PgQ handed the consumer, has lost its position,
    /// and the consumer stops rather than apply anything twice or skip anything.
    /// </summary>
    /// <param name="target">The database the handler writes into.</param>
    /// <param name="handler">
    /// Called for each event with its batch (which cannot retry events here: a retry would be lost if a later run
    /// finished the batch) and the target's connection, inside the target's transaction.
    /// </param>
    /// <param name="cancellationToken">Cancels the processing; nothing is committed on either side.</param>
    /// <returns>The batch's id and the events applied (0 when it had been applied before), or null when no batch is ready.</returns>
    /// <exception cref="PgQLostPositionException">The target's recorded tick does not fit the batch.</exception>
    public Task<PgQBatchResult?> ProcessBatchIntoAsync(NpgsqlDataSource target, Func<PgQBatch, PgQBatchEvent, NpgsqlConnection, CancellationToken, Task> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return ProcessBatchChunksIntoAsync(target, async (batch, events, connection, ct) =>
        {
            foreach (PgQBatchEvent @event in events)
            {
                await handler(batch, @event, connection, ct).ConfigureAwait(false);
            }
        }, cancellationToken);
    }

    /// <summary>
    /// As <see cref="ProcessBatchIntoAsync"/>, exactly once into <paramref name="target"/>, but gives the handler the
    /// batch's events a chunk at a time (up to <see cref="PgQConsumerOptions.FetchSize"/>, in order), for writes made
    /// per set — a <c>COPY</c> of the chunk rather than a statement per event.
    /// </summary>
    /// <param name="target">The database the handler writes into.</param>
    /// <param name="handler">
    /// Called for each chunk with its batch (which cannot retry events here) and the target's connection, inside the
    /// target's transaction; the list is reused for the next chunk once the handler's task completes.
    /// </param>
    /// <param name="cancellationToken">Cancels the processing; nothing is committed on either side.</param>
    /// <returns>The batch's id and the events applied (0 when it had been applied before), or null when no batch is ready.</returns>
    /// <exception cref="PgQLostPositionException">The target's recorded tick does not fit the batch.</exception>
    public async Task<PgQBatchResult?> ProcessBatchChunksIntoAsync(NpgsqlDataSource target, Func<PgQBatch, IReadOnlyList<PgQBatchEvent>, NpgsqlConnection, CancellationToken, Task> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(handler);
        await using NpgsqlConnection connection = await _database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        PgQBatch? batch = await NextBatchAsync(connection, cancellationToken).ConfigureAwait(false);
        if (batch is null)
        {
            return null;
        }

        batch.ExactlyOnce = true;
        using Activity? activity = Started(batch);
        long events = 0;
        await using (NpgsqlConnection targetConnection = await target.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
        {
            await TickTracking.EnsureCreatedAsync(targetConnection, cancellationToken).ConfigureAwait(false);
            await using NpgsqlTransaction targetTransaction = await targetConnection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

            // Processes of one consumer take turns here: the row lock is held until the target's commit.
            long? applied = await TickTracking.LockAsync(targetConnection, Queue, Consumer, cancellationToken).ConfigureAwait(false);
            if (applied is null || applied == batch.PreviousTickId)
            {
                await using (NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
                {
                    events = await ReadEventsAsync(batch, chunk => handler(batch, chunk, targetConnection, cancellationToken), cancellationToken).ConfigureAwait(false);
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                }

                await TickTracking.RecordAsync(targetConnection, Queue, Consumer, batch.TickId, cancellationToken).ConfigureAwait(false);
                await targetTransaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            else if (applied != batch.TickId && !await IsHandedOutAsync(applied.Value, batch, cancellationToken).ConfigureAwait(false))
            {
                throw new PgQLostPositionException(Queue, Consumer, applied.Value, batch.PreviousTickId, batch.TickId);
            }

            // Otherwise the target has this batch already: this consumer died between the two commits, or another
            // process of it applied the batch (and perhaps later ones) first. Finishing it is all that is left.
        }

        await using (NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            await FinishAsync(batch, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        return Finished(activity, new PgQBatchResult(batch.Id, batch.TickId, events, 0));
    }

    // Whether a target tick beyond the batch is one PgQ has handed this consumer since (another process of it took and
    // applied later batches while this one waited): at most the tick of its last or open batch. A tick beyond those
    // (the queue recreated, the consumer re-registered, the target from elsewhere) is a lost position.
    private async Task<bool> IsHandedOutAsync(long tick, PgQBatch batch, CancellationToken cancellationToken)
    {
        if (tick < batch.TickId)
        {
            return false;
        }

        await using NpgsqlCommand command = Command("select greatest(last_tick, next_tick) from pgq.get_consumer_info($1, $2)");
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long handedOut && tick <= handedOut;
    }

    // The batch's span and its lag; a batch that fails ends its span with the error status (the exception passes by).
    private Activity? Started(PgQBatch batch)
    {
        KeyValuePair<string, object?> queue = PgQTelemetry.QueueTag(Queue);
        PgQTelemetry.BatchLag.Record(Math.Max(0, (DateTime.UtcNow - batch.TickTime.ToUniversalTime()).TotalSeconds), queue);
        Activity? activity = PgQTelemetry.Source.StartActivity(PgQTelemetryNames.BatchActivity, ActivityKind.Consumer);
        activity?.SetTag(PgQTelemetryNames.Queue, Queue);
        activity?.SetTag(PgQTelemetryNames.Consumer, Consumer);
        activity?.SetTag(PgQTelemetryNames.BatchId, batch.Id);
        activity?.SetTag(PgQTelemetryNames.TickId, batch.TickId);
        activity?.SetStatus(ActivityStatusCode.Error, "not finished");
        return activity;
    }

    private PgQBatchResult Finished(Activity? activity, PgQBatchResult result)
    {
        PgQTelemetry.BatchSize.Record(result.Events, PgQTelemetry.QueueTag(Queue));
        activity?.SetTag(PgQTelemetryNames.BatchEvents, result.Events);
        activity?.SetTag(PgQTelemetryNames.Retried, result.Retried);
        activity?.SetStatus(ActivityStatusCode.Ok);
        return result;
    }

    // Gives every event of the batch to the handler, a chunk of FetchSize at a time, through the batch's cursor (inside
    // the connection's open transaction); returns how many there were.
    private async Task<long> ReadEventsAsync(PgQBatch batch, Func<IReadOnlyList<PgQBatchEvent>, Task> handler, CancellationToken cancellationToken)
    {
        long events = 0;
        var chunk = new List<PgQBatchEvent>(Math.Min(_options.FetchSize, 10_000));
        await ReadAsync(batch.Connection, $"select ev_id, ev_time, ev_txid, ev_retry, ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3, ev_extra4 from pgq.get_batch_cursor($1, '{Cursor}', $2, null)", chunk, cancellationToken, batch.Id, _options.FetchSize).ConfigureAwait(false);
        while (chunk.Count > 0)
        {
            await handler(chunk).ConfigureAwait(false);
            events += chunk.Count;
            bool more = chunk.Count == _options.FetchSize;
            chunk.Clear();
            if (more)
            {
                await ReadAsync(batch.Connection, $"fetch {_options.FetchSize} from {Cursor}", chunk, cancellationToken).ConfigureAwait(false);
            }
        }

        await using (var close = new NpgsqlCommand($"close {Cursor}", batch.Connection))
        {
            await close.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return events;
    }

    // The handler's retries, then pgq.finish_batch, inside the connection's open transaction.
    private static async Task FinishAsync(PgQBatch batch, CancellationToken cancellationToken)
    {
        foreach ((long eventId, int seconds) in batch.Retries)
        {
            await using var retry = new NpgsqlCommand("select pgq.event_retry($1, $2, $3::int4)", batch.Connection);
            retry.Parameters.Add(new NpgsqlParameter<long> { TypedValue = batch.Id });
            retry.Parameters.Add(new NpgsqlParameter<long> { TypedValue = eventId });
            retry.Parameters.Add(new NpgsqlParameter<int> { TypedValue = seconds });
            await retry.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var finish = new NpgsqlCommand("select pgq.finish_batch($1)", batch.Connection);
        finish.Parameters.Add(new NpgsqlParameter<long> { TypedValue = batch.Id });
        await finish.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    // The consumer's turn for the rest of the open transaction, unless another process of it has the turn now.
    private async Task<bool> TakeTurnAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var turn = new NpgsqlCommand($"select pg_try_advisory_xact_lock({TurnKey})", connection)
        {
            Parameters = { new NpgsqlParameter<string> { TypedValue = Queue }, new NpgsqlParameter<string> { TypedValue = Consumer } },
        };
        return (bool)(await turn.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    // The advisory lock key of a consumer's turn ($1 the queue, $2 the consumer).
    private const string TurnKey = "hashtextextended('plproxy_pgq.next_batch ' || $1 || ' ' || $2, 0)";

    // The consumer's next batch (pgq.next_batch_custom, with the options' thresholds), or null when none is ready.
    // next_batch_custom locks nothing: two processes of one consumer calling it at once would each open a batch of the
    // same ticks, the second replacing the first under its holder. So the call holds a transaction-scoped advisory lock
    // of the consumer (both statements go in one transaction, implicit unless the caller holds the turn already): the
    // second caller waits, then gets the batch the first opened, as PgQ gives an open batch to whoever asks again.
    private async Task<PgQBatch?> NextBatchAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand($"select pg_advisory_xact_lock({TurnKey})")
                {
                    Parameters = { new NpgsqlParameter<string> { TypedValue = Queue }, new NpgsqlParameter<string> { TypedValue = Consumer } },
                },
                new NpgsqlBatchCommand("select batch_id, cur_tick_id, prev_tick_id, cur_tick_time from pgq.next_batch_custom($1, $2, $3, $4, $5)")
                {
                    Parameters =
                    {
                        new NpgsqlParameter<string> { TypedValue = Queue },
                        new NpgsqlParameter<string> { TypedValue = Consumer },
                        new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Interval, Value = (object?)_options.MinLag ?? DBNull.Value },
                        new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = (object?)_options.MinCount ?? DBNull.Value },
                        new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Interval, Value = (object?)_options.MinInterval ?? DBNull.Value },
                    },
                },
            },
        };
        await using NpgsqlDataReader reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false); // past the lock's row
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && !reader.IsDBNull(0)
            ? new PgQBatch(reader.GetInt64(0), reader.GetInt64(1), reader.IsDBNull(2) ? 0 : reader.GetInt64(2), reader.GetDateTime(3), connection)
            : null;
    }

    private static async Task ReadAsync(NpgsqlConnection connection, string sql, List<PgQBatchEvent> into, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (object parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            into.Add(new PgQBatchEvent(
                reader.GetInt64(0),
                reader.GetDateTime(1),
                reader.GetInt64(2),
                reader.IsDBNull(3) ? null : reader.GetInt32(3),
                Text(reader, 4),
                Text(reader, 5))
            {
                Extra1 = Text(reader, 6),
                Extra2 = Text(reader, 7),
                Extra3 = Text(reader, 8),
                Extra4 = Text(reader, 9),
            });
        }
    }

    private static string? Text(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private async Task<T> ScalarAsync<T>(string sql, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = Command(sql);
        return (T)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private NpgsqlCommand Command(string sql)
    {
        NpgsqlCommand command = _database.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Queue });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Consumer });
        return command;
    }
}

using System.Data.Common;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Npgsql;
using PlProxy.Client.Connections;
using PlProxy.Client.Telemetry;

namespace PlProxy.Client.Execution;

/// <summary>One database's rows as they are read, with its telemetry and its share of the connection budget.</summary>
internal sealed class PartitionCursor : IAsyncDisposable
{
    private readonly Route _route;
    private readonly NpgsqlDataSource _dataSource;
    private readonly int _partition;
    private readonly long _started = PlProxyTelemetry.PartitionDuration.Enabled ? Stopwatch.GetTimestamp() : 0; // the clock is read only for a listener
    private readonly Activity? _activity;
    private int _rows;
    private object? _row; // the row function bound to Reader (a Func<DbDataReader, T> of the call's row type)
    private bool _finished; // the remote statement is over: every row read, or it ended with an error

    public PartitionCursor(Route route, NpgsqlDataSource dataSource, int partition)
    {
        _route = route;
        _dataSource = dataSource;
        _partition = partition;
        _activity = PlProxyTelemetry.Source.HasListeners() // the name is built only for a listener
            ? PlProxyTelemetry.Source.StartActivity($"{route.Call.Name} partition {partition}", ActivityKind.Client)
            : null;
        if (_activity is not null)
        {
            (string? address, int port) = DatabaseName.ServerOf(dataSource);
            _activity.SetTag(TelemetryNames.Partition, partition);
            _activity.SetTag(TelemetryNames.DbNamespace, Database);
            _activity.SetTag(TelemetryNames.ServerAddress, address);
            _activity.SetTag(TelemetryNames.ServerPort, port);
        }
    }

    /// <summary>The pool the call's part runs on.</summary>
    public NpgsqlDataSource DataSource => _dataSource;

    /// <summary>The database's name, for errors and telemetry (looked up only when one needs it).</summary>
    public string Database => DatabaseName.Of(_dataSource);

    public IDisposable? Budget { get; set; }

    /// <summary>The slot of the partition's gate the call's own connection holds, given back when the cursor is done.</summary>
    public PartitionGate? Slot { get; set; }

    /// <summary>
    /// Completed once this part holds its connection's slot, or knows it needs none (no cap): a call that holds all its
    /// databases at once takes their slots one after the other in one order (<see cref="OrderedMerge"/>).
    /// </summary>
    public TaskCompletionSource? SlotTaken { get; init; }

    /// <summary>Whether <see cref="Slot"/> is one of the gate's sharing slots (the call could have shared a round trip).</summary>
    public bool SlotShared { get; set; }

    public DbDataReader? Reader { get; set; }

    /// <summary>The replicated partition this call ran on the primary of: its end is noted there for read-your-writes.</summary>
    public PartitionReplicas? WroteTo { get; set; }

    /// <summary>
    /// The standby a read runs on, and its partition's hosts: a standby that stops the read once its rows came is
    /// marked down, and the failure noted in <see cref="StoppedStandbyReads"/>.
    /// </summary>
    public (ReplicaHost Host, PartitionReplicas Replicas)? Standby { get; set; }

    /// <summary>The rows a shared round trip read for the call (a <c>List&lt;T&gt;</c> of its row type), when it had no connection of its own.</summary>
    public System.Collections.IList? Rows { get; set; }

    private int _next = -1; // the current row of Rows
    private long _executed; // when the statement was sent on a connection of its own, if its duration is measured

    /// <summary>Measures the call from now (its statement sent) to its last row, for <see cref="Planning.RemoteCall.StatementMilliseconds"/>.</summary>
    public void MeasureFrom() => _executed = Stopwatch.GetTimestamp();

    /// <summary>The Npgsql command whose rows <see cref="Reader"/> reads (null for the executor seam).</summary>
    public NpgsqlCommand? Command { get; set; }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        // Npgsql answers rows already in its buffer without looking at the token: look here, once per row.
        cancellationToken.ThrowIfCancellationRequested();
        if (Rows is not null)
        {
            _finished = ++_next >= Rows.Count;
            return !_finished;
        }

        try
        {
            bool more = await Reader!.ReadAsync(cancellationToken).ConfigureAwait(false);
            _finished = !more;
            return more;
        }
        catch (PostgresException e)
        {
            _finished = true; // the server ended the statement itself
            throw Failed(e, RemoteErrors.Wrap(e, _route, _dataSource, _partition)!);
        }
        catch (Exception e) when (RemoteErrors.Wrap(e, _route, _dataSource, _partition) is { } wrapped)
        {
            throw Failed(e, wrapped);
        }
    }

    // A standby that could not go on serving the read (a conflict with recovery, shutting down, lost) is marked down.
    private Exception Failed(Exception error, Exception wrapped)
    {
        if (Standby is var (host, replicas) && Resilience.FailureClassifier.StandbyCannotServe(error))
        {
            host.MarkDown();
            replicas.Monitor.Suspect();
            StoppedStandbyReads.Note(wrapped);
        }

        return wrapped;
    }

    /// <summary>
    /// Reads past at most <paramref name="rows"/> rows not wanted any more, so that a statement about to end ends on its
    /// own rather than being cancelled; a failure meanwhile leaves the cursor to be abandoned on disposal.
    /// </summary>
    public async ValueTask SkipRestAsync(long rows, CancellationToken cancellationToken)
    {
        if (Reader is null || _finished)
        {
            return;
        }

        try
        {
            for (long i = 0; i <= rows && !_finished; i++)
            {
                _finished = !await Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is DbException or OperationCanceledException or InvalidOperationException)
        {
            // Disposal abandons the statement.
        }
    }

    /// <summary>
    /// The current row, read by <paramref name="read"/> bound to this cursor's reader on its first row (a row type's
    /// columns are looked up by name once per reader; a result without rows looks nothing up).
    /// </summary>
    public T Current<T>(RowReader<T> read)
    {
        if (Rows is List<T> rows)
        {
            _rows++;
            return rows[_next];
        }

        try
        {
            _row ??= read.Bind(Reader!);
            T row = ((Func<DbDataReader, T>)_row)(Reader!);
            _rows++;
            return row;
        }
        catch (Exception e) when (RemoteErrors.Wrap(e, _route, _dataSource, _partition) is { } wrapped)
        {
            throw wrapped;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask DisposeAsync()
    {
        _activity?.SetTag(TelemetryNames.Rows, _rows);
        if (PlProxyTelemetry.PartitionDuration.Enabled && _started != 0) // 0: nobody listened when the target started
        {
            (string? address, int port) = DatabaseName.ServerOf(_dataSource);
            PlProxyTelemetry.PartitionDuration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, new TagList
            {
                { TelemetryNames.Cluster, _route.Cluster.Name },
                { TelemetryNames.Partition, _partition },
                { TelemetryNames.DbNamespace, Database },
                { TelemetryNames.ServerAddress, address },
                { TelemetryNames.ServerPort, port },
            });
        }

        if (_executed != 0 && _finished && Reader is not null)
        {
            _route.Call.RecordStatement(Stopwatch.GetElapsedTime(_executed).TotalMilliseconds);
        }

        try
        {
            if (Reader is not null)
            {
                if (_finished || Command is null)
                {
                    try
                    {
                        await Reader.DisposeAsync().ConfigureAwait(false);
                    }
                    catch (Exception e) when (RemoteErrors.Wrap(e, _route, _dataSource, _partition) is { } wrapped)
                    {
                        // The statement's end (its commit, for a call on its own) was still to come when the
                        // connection broke: the call failed, and may have completed.
                        throw wrapped;
                    }
                }
                else
                {
                    await AbandonAsync(Reader, Command, _dataSource, _route.Cluster.SignalsBackends).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (Slot is { } gate)
            {
                Slot = null;
                GateSlot.Release(gate, _dataSource, SlotShared); // the connection is back in its pool (or closed): the slot goes to what waits
            }

            WroteTo?.NoteWrite(); // after the statement's end: a standby that replays past the primary's position now holds it
            Budget?.Dispose();
            _activity?.Dispose();
        }
    }

    // A statement left before its end (break, cancellation, query_timeout, a failing sibling): disposing the reader
    // alone would make Npgsql read the rest of the result, however large or slow. PostgreSQL is asked to cancel the
    // statement first (Npgsql's cancel request returns once the server has signalled the backend; one that already
    // finished ignores it while idle), so only what was already in flight is drained and the connection goes back
    // to its pool in a known state; if it cannot be drained, it is closed instead. A cancel PostgreSQL ignored
    // (see StatementStopper) is followed by a signal to the backend.
    private static async ValueTask AbandonAsync(DbDataReader reader, NpgsqlCommand command, NpgsqlDataSource dataSource, bool signalsBackend)
    {
        NpgsqlConnection? connection = command.Connection;
        try
        {
            int processId = connection?.ProcessID ?? 0; // a connection that broke meanwhile throws here: nothing runs on it to stop
            command.Cancel();
            Task drained = reader.DisposeAsync().AsTask();
            if (signalsBackend)
            {
                await StatementStopper.StopAsync(drained, dataSource, processId, command.CommandText).ConfigureAwait(false);
            }

            await drained.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // 57014 or a broken connection: the statement is over either way, and its caller already has its outcome.
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}

using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Npgsql;
using PlProxy.Client.PgQ;
using PlProxy.Client.Testing;
using PlProxy.Client.Tool;

namespace PlProxy.Client.Benchmarks;

/// <summary>In this process, one invocation (one 20,000-event batch) per iteration, five iterations.</summary>
public sealed class PgQConfig : ManualConfig
{
    public PgQConfig()
    {
        AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
            .WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(5).WithInvocationCount(1).WithUnrollFactor(1));
        AddColumn(StatisticColumn.Median);
    }
}

/// <summary>
/// PgQ throughput on a local PostgreSQL, per event, 20,000 events a batch: reading a batch (a no-op handler, at least
/// once); moving it into another database's queue exactly once with <c>plproxy pgq move --once</c> as the tool runs it
/// (a binary COPY per fetched chunk, the batch's tick committed with it); and, for comparison, the same move writing
/// each event with its own <c>pgq.insert_event_raw</c> round trip. Events per second = 1 s / the time.
/// </summary>
[Config(typeof(PgQConfig))]
public class PgQBenchmarks
{
    private const int Events = 20_000;

    private LocalPostgresServer _server = null!;
    private NpgsqlDataSource _source = null!;
    private NpgsqlDataSource _target = null!;
    private PgQConsumer _reader = null!;
    private PgQConsumer _mover = null!;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup()
    {
        _source.Dispose();
        _target.Dispose();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [IterationSetup(Target = nameof(ReadBatch))]
    public void ProduceForReader() => ProduceAsync("read").GetAwaiter().GetResult();

    [IterationSetup(Targets = [nameof(MoveBatch), nameof(MoveBatchEventByEvent)])]
    public void ProduceForMover() => ProduceAsync("move").GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = Events)]
    public async Task<long> ReadBatch()
    {
        long events = 0;
        while (await _reader.ProcessBatchAsync((_, _, _) => Task.CompletedTask) is { } batch)
        {
            events += batch.Events;
        }

        return events;
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public async Task<int> MoveBatch() =>
        await ToolCommandLine.InvokeAsync(["pgq", "move", "--source", _source.ConnectionString, "--queue", "move",
            "--target", _target.ConnectionString, "--target-queue", "central", "--consumer", "mover", "--once"], Console.Out, Console.Error);

    [Benchmark(OperationsPerInvoke = Events)]
    public async Task<long> MoveBatchEventByEvent()
    {
        long events = 0;
        while (await _mover.ProcessBatchIntoAsync(_target, async (_, e, connection, ct) =>
        {
            await using var insert = new NpgsqlCommand("select pgq.insert_event_raw('central', null, $1, null, null, $2, $3, $4, $5, $6, $7)", connection);
            insert.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = e.Time });
            foreach (string? value in (string?[])[e.Type, e.Data, e.Extra1, e.Extra2, e.Extra3, e.Extra4])
            {
                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value });
            }

            await insert.ExecuteNonQueryAsync(ct);
        }) is { } batch)
        {
            events += batch.Events;
        }

        return events;
    }

    private async Task SetupAsync()
    {
        _server = await LocalPostgresServer.StartAsync();
        _source = NpgsqlDataSource.Create(await _server.CreateDatabaseAsync("pgq_source"));
        _target = NpgsqlDataSource.Create(await _server.CreateDatabaseAsync("pgq_target"));
        await using (NpgsqlCommand source = _source.CreateCommand("create extension pgq; select pgq.create_queue('read'); select pgq.create_queue('move');"))
        {
            await source.ExecuteNonQueryAsync();
        }

        await using (NpgsqlCommand target = _target.CreateCommand("create extension pgq; select pgq.create_queue('central');"))
        {
            await target.ExecuteNonQueryAsync();
        }

        _reader = new PgQConsumer(_source, "read", "reader", new PgQConsumerOptions { FetchSize = 1000 });
        _mover = new PgQConsumer(_source, "move", "mover", new PgQConsumerOptions { FetchSize = 1000 });
        await _reader.RegisterAsync();
        await _mover.RegisterAsync();
    }

    // 20,000 events of ~100 characters in one transaction, then a tick: one batch.
    private async Task ProduceAsync(string queue)
    {
        await using NpgsqlConnection connection = await _source.OpenConnectionAsync();
        await using (NpgsqlTransaction transaction = await connection.BeginTransactionAsync())
        {
            await PgQProducer.InsertEventsAsync(transaction, queue, Enumerable.Range(0, Events).Select(i => new PgQEvent("order", $"id={i}&amount={i % 1000}&note=" + new string('x', 80)) { Extra1 = "public.orders" }));
            await transaction.CommitAsync();
        }

        await using NpgsqlCommand tick = new($"select pgq.force_tick('{queue}')", connection);
        await tick.ExecuteNonQueryAsync();
        await using NpgsqlCommand ticker = new($"select pgq.ticker('{queue}')", connection);
        await ticker.ExecuteNonQueryAsync();
    }
}

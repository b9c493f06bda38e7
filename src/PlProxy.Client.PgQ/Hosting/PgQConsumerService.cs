using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Polly;
using Polly.Retry;

namespace PlProxy.Client.PgQ;

/// <summary>
/// A PgQ consumer as a hosted service: batch after batch, each event to the handler; a failing event retried later and,
/// past its retry limit, written to <c>plproxy_pgq.dead_letter</c> in the batch's own transaction (so nothing is lost
/// or kept twice); backing off while the database is away (transient errors; any other error stops the service, and
/// so the host); at shutdown the open batch is abandoned whole (rolled back) and delivered again to the next run.
/// </summary>
internal sealed partial class PgQConsumerService<THandler>(string name, IOptionsMonitor<PgQConsumerServiceOptions> options, THandler handler, ILogger<PgQConsumerService<THandler>> logger) : BackgroundService
    where THandler : class, IPgQEventHandler
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        PgQConsumerServiceOptions settings = options.Get(name);
        await using NpgsqlDataSource database = NpgsqlDataSource.Create(settings.ConnectionString);
        var consumer = new PgQConsumer(database, settings.Queue, settings.Consumer, settings.Batches);
        ResiliencePipeline backoff = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<NpgsqlException>(e => e.IsTransient && !stoppingToken.IsCancellationRequested),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
                MaxDelay = settings.MaxBackoff,
                MaxRetryAttempts = int.MaxValue,
                OnRetry = retry =>
                {
                    Log.DatabaseAway(logger, settings.Queue, settings.Consumer, retry.RetryDelay.TotalSeconds, retry.Outcome.Exception!);
                    return default;
                },
            })
            .Build();

        try
        {
            if (await backoff.ExecuteAsync(async ct => await consumer.RegisterAsync(ct).ConfigureAwait(false), stoppingToken).ConfigureAwait(false))
            {
                Log.Registered(logger, settings.Queue, settings.Consumer);
            }

            while (!stoppingToken.IsCancellationRequested)
            {
                PgQBatchResult? batch = await backoff.ExecuteAsync(
                    async ct => await consumer.ProcessBatchAsync((b, e, t) => HandleAsync(settings, b, e, t), ct).ConfigureAwait(false),
                    stoppingToken).ConfigureAwait(false);
                if (batch is null)
                {
                    await Task.Delay(settings.IdleDelay, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: the open batch was rolled back and stays open for the next run.
        }
    }

    private async Task HandleAsync(PgQConsumerServiceOptions settings, PgQBatch batch, PgQBatchEvent @event, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            await handler.HandleAsync(batch, @event, cancellationToken).ConfigureAwait(false);
            PgQTelemetry.Events.Add(1, PgQTelemetry.QueueTag(settings.Queue));
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if ((@event.Retry ?? 0) >= settings.MaxRetries)
            {
                await DeadLetters.AddAsync(batch.Connection, settings.Queue, settings.Consumer, @event, e, cancellationToken).ConfigureAwait(false);
                PgQTelemetry.DeadLetters.Add(1, PgQTelemetry.QueueTag(settings.Queue));
                Log.DeadLettered(logger, @event.Id, settings.Queue, @event.Retry ?? 0, e);
            }
            else
            {
                batch.Retry(@event, settings.RetryDelay);
                PgQTelemetry.Retries.Add(1, PgQTelemetry.QueueTag(settings.Queue));
                Log.Retried(logger, @event.Id, settings.Queue, (@event.Retry ?? 0) + 1, e);
            }
        }
        finally
        {
            PgQTelemetry.HandlerDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, PgQTelemetry.QueueTag(settings.Queue));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(PgQEventId.Registered, LogLevel.Information, "PgQ consumer {Consumer} registered on queue {Queue}: it receives the events inserted from now on")]
        public static partial void Registered(ILogger logger, string queue, string consumer);

        [LoggerMessage(PgQEventId.Retried, LogLevel.Warning, "PgQ event {EventId} of queue {Queue} failed; retry {Retry} later")]
        public static partial void Retried(ILogger logger, long eventId, string queue, int retry, Exception exception);

        [LoggerMessage(PgQEventId.DeadLettered, LogLevel.Error, "PgQ event {EventId} of queue {Queue} failed after {Retries} retries and went to plproxy_pgq.dead_letter")]
        public static partial void DeadLettered(ILogger logger, long eventId, string queue, int retries, Exception exception);

        [LoggerMessage(PgQEventId.DatabaseAway, LogLevel.Warning, "The database of PgQ queue {Queue} (consumer {Consumer}) cannot be reached; trying again in {Seconds:0.0} s")]
        public static partial void DatabaseAway(ILogger logger, string queue, string consumer, double seconds, Exception exception);
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Npgsql;

namespace PlProxy.Client.PgQ.Tests;

/// <summary>Each processed batch is a <c>pgq batch</c> span and feeds the batch size and lag metrics, under PlProxy.Client.PgQ.</summary>
[Collection(PgQFixture.Collection)]
public sealed class PgQTelemetryTests(PgQFixture fixture)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ProcessBatch_RecordsASpanAndTheBatchSizeAndLag()
    {
        const string queue = "observed";
        await using NpgsqlDataSource database = await fixture.QueueDatabaseAsync(queue, Token);
        var consumer = new PgQConsumer(database, queue, "c1");
        await consumer.RegisterAsync(Token);
        await using (NpgsqlConnection connection = await database.OpenConnectionAsync(Token))
        {
            for (int i = 0; i < 3; i++)
            {
                await PgQProducer.InsertEventAsync(connection, queue, new PgQEvent("e", $"{i}"), Token);
            }
        }

        await PgQFixture.TickAsync(database, queue, Token);
        var spans = new ConcurrentBag<Activity>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "PlProxy.Client.PgQ",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(activities);
        var measurements = new ConcurrentBag<(string Name, double Value)>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "PlProxy.Client.PgQ")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        meters.Start();

        PgQBatchResult? result = await consumer.ProcessBatchAsync((_, _, _) => Task.CompletedTask, Token);

        Activity span = Assert.Single(spans, s => Equals(s.GetTagItem("pgq.queue"), queue));
        Assert.Equal(("pgq batch", ActivityStatusCode.Ok, (object?)result!.BatchId, (object?)3L), (span.OperationName, span.Status, span.GetTagItem("pgq.batch_id"), span.GetTagItem("pgq.events")));
        Assert.Contains(("plproxy.pgq.batch.size", 3.0), measurements);
        Assert.Contains(measurements, m => m.Name == "plproxy.pgq.batch.lag" && m.Value >= 0);

        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "pgq.queue" && Equals(tag.Value, queue))
                {
                    measurements.Add((instrument.Name, value));
                }
            }
        }
    }
}

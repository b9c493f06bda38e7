using System.Diagnostics;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using PlProxy.Client.Configuration;
using PlProxy.Client.PgQ;
using PlProxy.Client.Telemetry;
using PlProxy.Client.Testing;

namespace PlProxy.Client.OpenTelemetry.Tests;

/// <summary>AddPlProxyInstrumentation() on real OpenTelemetry providers: a real call's spans and metrics reach the exporter.</summary>
public sealed class InstrumentationTests : IAsyncLifetime
{
    private LocalPostgresServer _server = null!;
    private string[] _partitions = [];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _server = await LocalPostgresServer.StartAsync();
        _partitions = new string[2];
        for (int i = 0; i < 2; i++)
        {
            _partitions[i] = await _server.CreateDatabaseAsync($"otel{i}");
            await _server.ExecuteAsync($"otel{i}", "create function whoami() returns setof text language sql as $$ select current_database()::text $$;");
        }
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task TracerProvider_ExportsACallSpanWithAChildPerPartition()
    {
        var spans = new List<Activity>();
        using (TracerProvider tracer = Sdk.CreateTracerProviderBuilder().AddPlProxyInstrumentation().AddInMemoryExporter(spans).Build())
        {
            await CallAllPartitionsAsync();
            tracer.ForceFlush();
        }

        Activity call = Assert.Single(spans, s => s.Parent is null && s.DisplayName == "whoami");
        Activity[] partitions = [.. spans.Where(s => s.ParentSpanId == call.SpanId)];
        Assert.Equal(["otel0", "otel1"], partitions.Select(p => p.GetTagItem(TelemetryNames.DbNamespace) as string).Order());
        Assert.All(partitions, p => Assert.Equal(_server.Port, (int?)p.GetTagItem(TelemetryNames.ServerPort)));
    }

    [Fact]
    public async Task TracerProvider_UnderAnUninstrumentedRequestsActivity_StillExportsTheCallInTheRequestsTrace()
    {
        var spans = new List<Activity>();
        ActivityTraceId trace;
        using (TracerProvider tracer = Sdk.CreateTracerProviderBuilder().AddPlProxyInstrumentation().AddInMemoryExporter(spans).Build())
        {
            // What ASP.NET Core starts for a request when nothing instruments requests: no ActivitySource, not recorded.
            using (Activity request = new Activity("Microsoft.AspNetCore.Hosting.HttpRequestIn").SetIdFormat(ActivityIdFormat.W3C).Start())
            {
                Assert.False(request.Recorded);
                trace = request.TraceId;
                await CallAllPartitionsAsync();
            }

            tracer.ForceFlush();
        }

        Activity call = Assert.Single(spans, s => s.DisplayName == "whoami");
        Assert.Equal(trace, call.TraceId); // the request's logs and the call's span share the trace
        Assert.Equal(2, spans.Count(s => s.ParentSpanId == call.SpanId));
    }

    [Fact]
    public async Task TracerProvider_UnderAParentItsSamplerDropped_ExportsNothingOfTheCall()
    {
        var spans = new List<Activity>();
        using var app = new ActivitySource("PlProxy.Client.OpenTelemetry.Tests.App");
        using (TracerProvider tracer = Sdk.CreateTracerProviderBuilder().AddSource(app.Name).AddPlProxyInstrumentation()
            .SetSampler(new DropNamed("sampled out")).AddInMemoryExporter(spans).Build())
        {
            using (Activity? request = app.StartActivity("sampled out"))
            {
                Assert.NotNull(request); // propagated, not recorded: the sampler decided
                Assert.False(request.Recorded);
                await CallAllPartitionsAsync();
            }

            tracer.ForceFlush();
        }

        Assert.Empty(spans);
    }

    [Fact]
    public async Task MeterProvider_ExportsDurationsInSecondsWithTheConventionsBuckets()
    {
        var metrics = new List<Metric>();
        using MeterProvider meter = Sdk.CreateMeterProviderBuilder().AddPlProxyInstrumentation().AddInMemoryExporter(metrics).Build();
        await CallAllPartitionsAsync();
        meter.ForceFlush(); // one export; disposing the provider would export again

        Metric duration = Assert.Single(metrics, m => m.Name == TelemetryNames.CallDuration);
        MetricPoint point = Assert.Single(Points(duration));
        double[] bounds = [.. Buckets(point).Where(b => !double.IsPositiveInfinity(b))];
        Assert.Equal("s", duration.Unit);
        Assert.Equal([0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10], bounds);
        Assert.Equal(1, point.GetHistogramCount());
        Assert.Contains(metrics, m => m.Name == TelemetryNames.PartitionDuration);
    }

    [Fact]
    public async Task Providers_ExportThePgQConsumersBatchSpanAndMetricsToo()
    {
        await _server.CreateDatabaseAsync("otelpgq", cancellationToken: Token);
        await _server.ExecuteAsync("otelpgq", "create extension pgq; select pgq.create_queue('jobs'); select pgq.register_consumer('jobs', 'worker');"
            + " select pgq.insert_event('jobs', 'job', 'a'); select pgq.force_tick('jobs');", Token);
        await _server.ExecuteAsync("otelpgq", "select pgq.ticker('jobs')", Token);
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        await using NpgsqlDataSource database = NpgsqlDataSource.Create(_server.ConnectionString("otelpgq"));
        using (TracerProvider tracer = Sdk.CreateTracerProviderBuilder().AddPlProxyInstrumentation().AddInMemoryExporter(spans).Build())
        using (MeterProvider meter = Sdk.CreateMeterProviderBuilder().AddPlProxyInstrumentation().AddInMemoryExporter(metrics).Build())
        {
            Assert.Equal(1, (await new PgQConsumer(database, "jobs", "worker").ProcessBatchAsync((_, _, _) => Task.CompletedTask, Token))!.Events);
            tracer.ForceFlush();
            meter.ForceFlush();
        }

        Activity batch = Assert.Single(spans, s => s.DisplayName == "pgq batch");
        Assert.Equal("jobs", batch.GetTagItem("pgq.queue"));
        Assert.Contains(metrics, m => m.Name == "plproxy.pgq.batch.size");
    }

    private static List<MetricPoint> Points(Metric metric)
    {
        var points = new List<MetricPoint>();
        foreach (ref readonly MetricPoint point in metric.GetMetricPoints())
        {
            points.Add(point);
        }

        return points;
    }

    private static List<double> Buckets(MetricPoint point)
    {
        var bounds = new List<double>();
        foreach (HistogramBucket bucket in point.GetHistogramBuckets())
        {
            bounds.Add(bucket.ExplicitBound);
        }

        return bounds;
    }

    private async Task CallAllPartitionsAsync()
    {
        await using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("otel", _partitions));
        IReadOnlyList<string> databases = await source.QueryAsync(new PlProxyCommand("whoami", "CLUSTER 'otel'; RUN ON ALL;"), r => r.GetString(0), Token);
        Assert.Equal(["otel0", "otel1"], databases);
    }

    // Drops the spans of one name (propagating their context); everything else as the default: parent-based, else on.
    private sealed class DropNamed(string name) : Sampler
    {
        private readonly Sampler _default = new ParentBasedSampler(new AlwaysOnSampler());

        public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
            samplingParameters.Name == name ? new SamplingResult(SamplingDecision.Drop) : _default.ShouldSample(samplingParameters);
    }
}

using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using PlProxy.Client.Configuration;
using PlProxy.Client.Telemetry;

namespace PlProxy.Client.IntegrationTests.Resilience;

/// <summary>Values never become SQL, secrets never leave, least privilege works, and every call is observable.</summary>
[Collection(UserDbFixture.Collection)]
public sealed class SecurityAndTelemetryTests(UserDbFixture fixture)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("'; drop table users; --")]
    [InlineData("$$; drop table users; $$")]
    [InlineData("\"users\"")]
    [InlineData("\\'; select pg_sleep(5); --")]
    [InlineData("username")]
    public async Task HostileStrings_TravelAsParameters(string hostile)
    {
        Assert.Null(await fixture.Db.FindBalanceAsync(hostile, Token));
        Assert.Null(await fixture.Db.GetUserAsync(hostile, Token));

        Assert.Equal(fixture.Users.Count(u => u.Partition == 0), (await fixture.Db.GetStatsListAsync(Token))[0].UserCount); // the table is intact
    }

    [Fact]
    public async Task NulOrLoneSurrogateInAHashedArgument_FailsBeforeAnyIo()
    {
        var nul = await Assert.ThrowsAsync<ArgumentException>(() => fixture.Db.GetBalanceAsync("bad\0name", Token));
        var surrogate = await Assert.ThrowsAsync<ArgumentException>(() => fixture.Db.GetBalanceAsync("bad\uD800", Token));

        Assert.Contains("NUL character", nul.Message, StringComparison.Ordinal);
        Assert.Contains("lone surrogate", surrogate.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LeastPrivilege_ExecuteOnSecurityDefinerFunctionsIsEnough_TablesStayClosed()
    {
        const string role = "plproxy_app";
        for (int i = 0; i < UserDbFixture.PartitionCount; i++)
        {
            await fixture.Server.ExecuteAsync(UserDbFixture.PartitionDatabase(i), $"""
                do $$ begin if not exists (select from pg_roles where rolname = '{role}') then create role {role} login; end if; end $$;
                create or replace function secure_balance(i_username text) returns numeric language sql security definer set search_path = public
                    as $$ select balance from users where username = i_username $$;
                revoke all on function secure_balance(text) from public;
                grant execute on function secure_balance(text) to {role};
                revoke all on users from public;
                """, Token);
        }

        var options = new PlProxyOptions().AddCluster("userdb", [.. fixture.PartitionConnectionStrings.Select(cs => new Npgsql.NpgsqlConnectionStringBuilder(cs) { Username = role }.ConnectionString)]);
        await using PlProxyDataSource source = PlProxyDataSource.Create(options);
        var user = fixture.Users[4];

        decimal? balance = await source.ExecuteScalarAsync<decimal?>(new PlProxyCommand("secure_balance", "CLUSTER 'userdb'; RUN ON hashtext(u);").Add("u", user.Username), Token);
        var denied = await Assert.ThrowsAsync<PlProxyException>(() => source.QueryAsync(
            new PlProxyCommand("users", "CLUSTER 'userdb'; RUN ON ALL; SELECT username FROM users;"), r => r.GetString(0), Token));

        Assert.Equal(user.Balance, balance);
        Assert.Equal("42501", denied.SqlState);
    }

    [Fact]
    public async Task Passwords_NeverAppearInExceptionsOrLogs()
    {
        var logs = new CapturingLoggerProvider();
        using ILoggerFactory loggerFactory = logs;
        var options = new PlProxyOptions().AddCluster("secret", "Host=127.0.0.1;Port=9;Database=nowhere;Username=u;Password=topsecret42;Timeout=1");
        await using PlProxyDataSource source = PlProxyDataSource.Create(options, loggerFactory);

        var error = await Assert.ThrowsAsync<PlProxyException>(() => source.ExecuteAsync(new PlProxyCommand("f", "CLUSTER 'secret';"), Token));

        Assert.DoesNotContain("topsecret42", error.ToString(), StringComparison.Ordinal);
        Assert.Contains(logs.Entries, e => e.EventId == 1001);
        Assert.DoesNotContain(logs.Entries, e => e.Text.Contains("topsecret42", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Calls_EmitAnActivityPerCallAndPerPartition_AndMetrics()
    {
        var activities = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == TelemetryNames.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (activities) { activities.Add(a); } },
        };
        ActivitySource.AddActivityListener(listener);
        // Each measurement with the trace it was recorded in: tests running beside this one record their own calls' metrics.
        var measurements = new List<(string Instrument, double Value, Dictionary<string, object?> Tags, ActivityTraceId? Trace)>();
        using var meterListener = new MeterListener
        {
            InstrumentPublished = (instrument, l) => { if (instrument.Meter.Name == TelemetryNames.SourceName) { l.EnableMeasurementEvents(instrument); } },
        };
        meterListener.SetMeasurementEventCallback<double>((i, v, tags, _) => { lock (measurements) { measurements.Add((i.Name, v, Tags(tags), Activity.Current?.TraceId)); } });
        meterListener.SetMeasurementEventCallback<long>((i, v, tags, _) => { lock (measurements) { measurements.Add((i.Name, v, Tags(tags), Activity.Current?.TraceId)); } });
        meterListener.Start();

        await fixture.Db.GetStatsListAsync(Token);
        await Assert.ThrowsAsync<PlProxyException>(() => fixture.Db.RaiseAsync("user1", "22012", Token));

        Activity call;
        lock (activities)
        {
            call = activities.Single(a => a.DisplayName == "get_stats_list");
            Assert.Equal(UserDbFixture.PartitionCount, activities.Count(a => a.Parent == call));
            Assert.Contains(activities, a => a.Parent == call && a.GetTagItem(TelemetryNames.DbNamespace) as string == "part2" && (int?)a.GetTagItem(TelemetryNames.Partition) == 2);
            Assert.All(activities.Where(a => a.Parent == call), a => Assert.Equal(
                (fixture.Server.Host, (int?)fixture.Server.Port),
                (a.GetTagItem(TelemetryNames.ServerAddress) as string, (int?)a.GetTagItem(TelemetryNames.ServerPort))));
            Activity failed = activities.Single(a => a.DisplayName == "raise");
            Assert.Equal((ActivityStatusCode.Error, "22012"), (failed.Status, failed.GetTagItem(TelemetryNames.DbResponseStatusCode) as string));
        }

        Assert.Equal(("userdb", "postgresql"), (call.GetTagItem(TelemetryNames.Cluster) as string, call.GetTagItem(TelemetryNames.DbSystem) as string));
        lock (measurements)
        {
            Assert.Contains(measurements, m => m.Instrument == TelemetryNames.CallDuration && m.Tags[TelemetryNames.DbOperation] as string == "get_stats_list" && m.Value > 0);
            Assert.Equal(UserDbFixture.PartitionCount, measurements
                .Where(m => m.Instrument == TelemetryNames.PartitionDuration && m.Tags[TelemetryNames.Cluster] as string == "userdb")
                .Select(m => m.Tags[TelemetryNames.DbNamespace]).Distinct().Count());
            Assert.Contains(measurements, m => m.Instrument == TelemetryNames.Errors && m.Tags[TelemetryNames.DbResponseStatusCode] as string == "22012");
            Assert.All(measurements.Where(m => m.Instrument == TelemetryNames.PartitionDuration && m.Trace == call.TraceId), m => Assert.Equal(fixture.Server.Port, (int?)m.Tags[TelemetryNames.ServerPort]));
            Assert.Equal(UserDbFixture.PartitionCount, measurements.Count(m => m.Instrument == TelemetryNames.PartitionDuration && m.Trace == call.TraceId)); // the call's own, one per partition
        }
    }

    [Fact]
    public async Task ACallThatFailsAsAWhole_IsLoggedWithoutAPartition_AndAReloadedConfigurationIsLogged()
    {
        var logs = new CapturingLoggerProvider();
        using ILoggerFactory loggerFactory = logs;
        PlProxyOptions Options(int partitions) => new PlProxyOptions().AddCluster("userdb", [.. fixture.PartitionConnectionStrings.Take(partitions)]);
        await using PlProxyDataSource source = PlProxyDataSource.Create(Options(4), loggerFactory);

        var none = await Assert.ThrowsAsync<PlProxyException>(() => source.ExecuteScalarAsync<int>(new PlProxyCommand("nothing", "CLUSTER 'userdb'; RUN ON 0; SELECT 1 WHERE false;"), Token));
        source.Clusters.Configure(Options(2)); // an options reload changing the cluster

        Assert.Equal(Npgsql.PostgresErrorCodes.NoDataFound, none.SqlState);
        (int _, string failed) = Assert.Single(logs.Entries, e => e.EventId == PlProxyEventId.CallFailed && e.Text.StartsWith("Call ", StringComparison.Ordinal));
        Assert.StartsWith("Call nothing on cluster userdb failed with SQLSTATE P0002", failed, StringComparison.Ordinal);
        Assert.DoesNotContain("(null)", failed, StringComparison.Ordinal);
        Assert.Contains(logs.Entries, e => e.EventId == PlProxyEventId.ClusterReloaded && e.Text.StartsWith("Cluster userdb reloaded (version configuration)", StringComparison.Ordinal));
        Assert.Contains((PlProxyEventId.CallFailed, LogLevel.Debug, TelemetryNames.CallsLogCategory), logs.Levels); // handed to its caller: below Warning
        Assert.Contains((PlProxyEventId.ClusterReloaded, LogLevel.Information, TelemetryNames.ClustersLogCategory), logs.Levels);
    }

    [Fact]
    public async Task FailedCalls_AreLoggedAtDebugWhenTheCallersOwnAndAtWarningWhenThePartitionCouldNotServeThem()
    {
        var logs = new CapturingLoggerProvider();
        using ILoggerFactory loggerFactory = logs;
        var options = new PlProxyOptions().AddCluster("userdb", [.. fixture.PartitionConnectionStrings]);
        options.AddCluster("gone", c =>
        {
            c.Partitions.Add("Host=127.0.0.1;Port=1;Database=nowhere;Timeout=1");
            c.Retry.MaxRetryAttempts = 1;
            c.Retry.Delay = TimeSpan.FromMilliseconds(1);
        });
        await using PlProxyDataSource source = PlProxyDataSource.Create(options, loggerFactory);

        var raised = await Assert.ThrowsAsync<PlProxyException>(() => source.ExecuteScalarAsync<int>(new PlProxyCommand("raise_error", "CLUSTER 'userdb'; RUN ON 0;").Add("username", "u").Add("sqlstate", "23505"), Token));
        var unreachable = await Assert.ThrowsAsync<PlProxyException>(() => source.ExecuteScalarAsync<int>(new PlProxyCommand("f", "CLUSTER 'gone'; RUN ON 0; SELECT 1;"), Token));

        Assert.Equal("23505", raised.SqlState);
        Assert.StartsWith("08", unreachable.SqlState, StringComparison.Ordinal);
        Assert.Equal(
            [LogLevel.Debug, LogLevel.Warning],
            logs.Levels.Where(e => e.EventId == PlProxyEventId.CallFailed && e.Category == TelemetryNames.CallsLogCategory).Select(e => e.Level)); // Npgsql's own events may share the number
        Assert.DoesNotContain(logs.Levels, e => e.Category.StartsWith(TelemetryNames.SourceName, StringComparison.Ordinal) && e.Category != TelemetryNames.CallsLogCategory && e.EventId == PlProxyEventId.CallFailed);
        Assert.Contains((PlProxyEventId.Retrying, LogLevel.Information, TelemetryNames.ResilienceLogCategory), logs.Levels);
    }

    [Fact]
    public async Task ACancelledCall_HasOneErrorTypeOnItsSpanAndInItsMetric()
    {
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == TelemetryNames.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (spans) { spans.Add(a); } },
        };
        ActivitySource.AddActivityListener(listener);
        var errors = new List<Dictionary<string, object?>>();
        using var meterListener = new MeterListener
        {
            InstrumentPublished = (instrument, l) => { if (instrument.Meter.Name == TelemetryNames.SourceName && instrument.Name == TelemetryNames.Errors) { l.EnableMeasurementEvents(instrument); } },
        };
        meterListener.SetMeasurementEventCallback<long>((_, _, tags, _) => { lock (errors) { errors.Add(Tags(tags)); } });
        meterListener.Start();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Token);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fixture.Db.SleepAsync(10, cancel.Token));

        Activity span;
        lock (spans)
        {
            span = spans.Single(a => a.Parent is null && a.Status == ActivityStatusCode.Error && a.GetTagItem(TelemetryNames.DbOperation) is "sleep" or "pg_sleep");
        }

        Dictionary<string, object?> metric;
        lock (errors)
        {
            metric = errors.Single(m => m[TelemetryNames.DbOperation] as string == span.GetTagItem(TelemetryNames.DbOperation) as string);
        }

        Assert.Equal(metric[TelemetryNames.ErrorType], span.GetTagItem(TelemetryNames.ErrorType));
        Assert.Equal(metric[TelemetryNames.DbResponseStatusCode], span.GetTagItem(TelemetryNames.DbResponseStatusCode));
        Assert.Equal(Npgsql.PostgresErrorCodes.QueryCanceled, span.GetTagItem(TelemetryNames.DbResponseStatusCode));
    }

    private static Dictionary<string, object?> Tags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var result = new Dictionary<string, object?>();
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            result[tag.Key] = tag.Value;
        }

        return result;
    }

    [Fact]
    public async Task RetryEvent_NamesTheFunctionThePartitionAndItsDatabase()
    {
        using var logs = new CapturingLoggerProvider();
        var options = new PlProxyOptions().AddCluster("unreachable", cluster =>
        {
            cluster.Partitions.Add("Host=127.0.0.1;Port=1;Database=nowhere;Timeout=1");
            cluster.Retry.MaxRetryAttempts = 1;
            cluster.Retry.Delay = TimeSpan.FromMilliseconds(10);
        });
        await using PlProxyDataSource source = PlProxyDataSource.Create(options, logs);

        await Assert.ThrowsAsync<PlProxyException>(() => source.ExecuteAsync(new PlProxyCommand("probe_function", "CLUSTER 'unreachable'; RUN ON 0;"), Token));

        (int _, string text) = Assert.Single(logs.Entries, e => e.EventId == 1002);
        Assert.StartsWith("Retrying call probe_function on partition 0 (nowhere) of cluster unreachable (retry 1)", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PollysTelemetry_ConfiguredOnThePipelines_ReportsEachRetryWithTheClusterAndPartition()
    {
        var logs = new CapturingLoggerProvider();
        using ILoggerFactory loggerFactory = logs;
        var options = new PlProxyOptions { ConfigureResilience = builder => Polly.TelemetryResiliencePipelineBuilderExtensions.ConfigureTelemetry(builder, loggerFactory) };
        options.AddCluster("gone", c =>
        {
            c.Partitions.Add("Host=127.0.0.1;Port=1;Database=nowhere;Timeout=1");
            c.Retry.MaxRetryAttempts = 2;
            c.Retry.Delay = TimeSpan.FromMilliseconds(1);
        });
        await using PlProxyDataSource source = PlProxyDataSource.Create(options, loggerFactory);

        await Assert.ThrowsAsync<PlProxyException>(() => source.ExecuteScalarAsync<int>(new PlProxyCommand("f", "CLUSTER 'gone'; RUN ON 0; SELECT 1;"), Token));

        string[] retries = [.. logs.Entries.Select(e => e.Text).Where(t => t.Contains("OnRetry", StringComparison.Ordinal))];
        Assert.Equal(2, retries.Length);
        Assert.All(retries, r => Assert.Contains("PlProxy.Client/gone/0", r, StringComparison.Ordinal));
        Assert.Contains("Polly", logs.Categories);
    }
}

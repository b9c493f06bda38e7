using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;
using PlProxy.Client.Planning;
using PlProxy.Client.Telemetry;

namespace PlProxy.Client.Execution;

/// <summary>A call's activity, duration, error count and failure log event.</summary>
internal static class CallTelemetry
{
    /// <summary>
    /// Starts the call's activity, when anything listens. Under a parent that no sampler decided on (an activity made
    /// without an ActivitySource and not recorded — ASP.NET Core's request activity when nothing instruments requests),
    /// the call's span keeps the parent's trace but is not vetoed by it: a parent-based sampler would otherwise drop
    /// every call of an application that traces only PlProxy.Client. A parent an ActivitySource made is followed as it is.
    /// </summary>
    public static Activity? Start(RemoteCall call)
    {
        Activity? activity = Activity.Current is { Recorded: false } parent && parent.Source.Name.Length == 0
            ? PlProxyTelemetry.Source.StartActivity(call.Name, ActivityKind.Client, new ActivityContext(parent.TraceId, parent.SpanId, ActivityTraceFlags.Recorded, parent.TraceStateString))
            : PlProxyTelemetry.Source.StartActivity(call.Name, ActivityKind.Client);
        if (activity is not null)
        {
            activity.SetTag(TelemetryNames.DbSystem, "postgresql");
            activity.SetTag(TelemetryNames.DbOperation, call.Name);
        }

        return activity;
    }

    /// <summary>Ends the call: its duration, and for a failure the error count, the activity status and log event 1001.</summary>
    public static void Completed(ILogger logger, RemoteCall call, Route? route, long started, Activity? activity, Exception? error)
    {
        if (error is null && activity is null && !PlProxyTelemetry.CallDuration.Enabled)
        {
            return; // nobody listens: no tags to build
        }

        string function = call.Name;
        string? cluster = route?.Cluster.Name ?? (error as PlProxyException)?.Cluster;
        var tags = new TagList
        {
            { TelemetryNames.DbSystem, "postgresql" },
            { TelemetryNames.DbOperation, function },
            { TelemetryNames.Cluster, cluster },
        };
        activity?.SetTag(TelemetryNames.Cluster, cluster);
        activity?.SetTag(TelemetryNames.Targets, route?.Plan.Count);
        if (error is not null)
        {
            string state = (error as System.Data.Common.DbException)?.SqlState ?? (error is OperationCanceledException ? PostgresErrorCodes.QueryCanceled : PostgresErrorCodes.InternalError);
            string errorType = error is PlProxyException ? state : error.GetType().FullName!; // one rule for the span and the metric
            tags.Add(TelemetryNames.ErrorType, errorType);
            tags.Add(TelemetryNames.DbResponseStatusCode, state);
            PlProxyTelemetry.Errors.Add(1, tags);
            activity?.SetStatus(ActivityStatusCode.Error, error.Message);
            activity?.SetTag(TelemetryNames.DbResponseStatusCode, state);
            activity?.SetTag(TelemetryNames.ErrorType, errorType);
            if (error is not OperationCanceledException)
            {
                LogLevel level = LevelOf(state);
                if (error is PlProxyException { PartitionIndex: { } partition } plProxy)
                {
                    Log.CallFailed(logger, level, function, cluster, partition, plProxy.Database, state, error);
                }
                else
                {
                    Log.CallFailedOnTheCall(logger, level, function, cluster, state, error); // the call as a whole: no partition to name
                }
            }
        }

        if (PlProxyTelemetry.CallDuration.Enabled && started != 0) // 0: nobody listened when the call started
        {
            PlProxyTelemetry.CallDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        }
    }

    /// <summary>
    /// How loud a failed call is logged: Warning for what the infrastructure did — a partition unreachable or lost
    /// (class 08), shutting down, read-only or out of connections, a serialization failure or deadlock, a breaker open
    /// (the transient states), a query_timeout, a stale map (PX000/PX001), the library's own routing errors (XX000);
    /// Debug for everything else, the call's own error handed to its caller (a constraint, a raise, a row count: the
    /// caller decides what it means), as Npgsql logs a command's errors at Debug.
    /// </summary>
    internal static LogLevel LevelOf(string state) =>
        TransientSqlStates.Contains(state) || state.StartsWith("08", StringComparison.Ordinal)
            || state is PostgresErrorCodes.QueryCanceled or PostgresErrorCodes.InternalError or PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CannotConnectNow
                or PostgresErrorCodes.ReadOnlySqlTransaction or PlProxySqlStates.WrongPartition or PlProxySqlStates.PartconfNotConfigured
            ? LogLevel.Warning
            : LogLevel.Debug;
}

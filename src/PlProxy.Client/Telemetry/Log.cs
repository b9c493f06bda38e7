using Microsoft.Extensions.Logging;

namespace PlProxy.Client.Telemetry;

/// <summary>PlProxy.Client's log events; their IDs are stable.</summary>
internal static partial class Log
{
    // The level is the failure's: Debug for the call's own remote error, which its caller is handed (as Npgsql logs a
    // command's errors), Warning for what the infrastructure did (CallTelemetry.LevelOf).
    [LoggerMessage(EventId = PlProxyEventId.CallFailed, Message = "Call {Function} on cluster {Cluster} failed on partition {Partition} ({Database}) with SQLSTATE {SqlState}")]
    public static partial void CallFailed(ILogger logger, LogLevel level, string function, string? cluster, int partition, string? database, string sqlState, Exception exception);

    [LoggerMessage(EventId = PlProxyEventId.CallFailed, Message = "Call {Function} on cluster {Cluster} failed with SQLSTATE {SqlState}")]
    public static partial void CallFailedOnTheCall(ILogger logger, LogLevel level, string function, string? cluster, string sqlState, Exception exception);

    [LoggerMessage(EventId = PlProxyEventId.Retrying, Level = LogLevel.Information, Message = "Retrying call {Function} on partition {Partition} ({Database}) of cluster {Cluster} (retry {Retry})")]
    public static partial void Retrying(ILogger logger, string function, string? cluster, int partition, string database, int retry);

    [LoggerMessage(EventId = PlProxyEventId.CallFenced, Level = LogLevel.Information, Message = "Call {Function} was fenced on partition {Partition} ({Database}) of cluster {Cluster} (time {Fenced}): re-planning on a refreshed map")]
    public static partial void CallFenced(ILogger logger, string function, string? cluster, int? partition, string? database, int fenced);

    [LoggerMessage(EventId = PlProxyEventId.ClusterReloaded, Level = LogLevel.Information, Message = "Cluster {Cluster} reloaded (version {Version})")]
    public static partial void ClusterReloaded(ILogger logger, string cluster, string? version);

    [LoggerMessage(EventId = PlProxyEventId.RefreshFailed, Level = LogLevel.Warning, Message = "Checking the proxy database for cluster changes failed; the current versions stay in use")]
    public static partial void RefreshFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = PlProxyEventId.ReloadRefused, Level = LogLevel.Warning, Message = "A configuration reload was refused and the clusters in use are kept: {Failures}")]
    public static partial void ReloadRefused(ILogger logger, string failures);

    [LoggerMessage(EventId = PlProxyEventId.BreakerStateChanged, Level = LogLevel.Warning, Message = "Circuit breaker of partition {Partition} ({Database}) in cluster {Cluster} is now {State}")]
    public static partial void BreakerStateChanged(ILogger logger, string cluster, int partition, string database, string state);
}

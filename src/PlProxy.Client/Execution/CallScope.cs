using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using PlProxy.Client.Planning;
using PlProxy.Client.Telemetry;

namespace PlProxy.Client.Execution;

/// <summary>
/// The frame every call runs in, whatever its shape: its trace and duration from the start, its route (and the
/// cluster lease that comes with it) once planned, the cluster's query_timeout over the rest, and one telemetry record
/// at the end. A struct local to the call: nothing allocated for it.
/// </summary>
internal struct CallScope
{
    private readonly ILogger _logger;
    private readonly RemoteCall _call;
    private readonly CancellationToken _caller;
    private readonly long _started;
    private readonly Activity? _activity;
    private CancellationTokenSource? _timeout;

    private CallScope(ILogger logger, RemoteCall call, CancellationToken cancellationToken)
    {
        _logger = logger;
        _call = call;
        _caller = cancellationToken;
        _started = PlProxyTelemetry.CallDuration.Enabled ? Stopwatch.GetTimestamp() : 0; // the clock is read only for a listener
        _activity = CallTelemetry.Start(call);
    }

    /// <summary>The planned route, or null before planning ends.</summary>
    public Route? Route { get; private set; }

    /// <summary>The token the call's statements run under: the caller's, and the query_timeout when the cluster has one.</summary>
    public readonly CancellationToken Token => _timeout?.Token ?? _caller;

    /// <summary>True when the query_timeout fired and the caller did not cancel.</summary>
    public readonly bool TimedOut => _timeout is { IsCancellationRequested: true } && !_caller.IsCancellationRequested;

    public static CallScope Start(ILogger logger, RemoteCall call, CancellationToken cancellationToken) => new(logger, call, cancellationToken);

    /// <summary>Records the route (the scope now owns its lease) and starts the cluster's query_timeout.</summary>
    public void Planned(Route route)
    {
        Route = route;
        if (route.Cluster.QueryTimeout is { } queryTimeout)
        {
            _timeout = CancellationTokenSource.CreateLinkedTokenSource(_caller);
            _timeout.CancelAfter(queryTimeout);
        }
    }

    /// <summary>Replaces the route after a fence (the scope now owns the new lease and releases the old one).</summary>
    public void Replanned(Route route)
    {
        Route? old = Route;
        Route = route;
        old?.Cluster.Release();
    }

    /// <summary>The call succeeded: its telemetry.</summary>
    public readonly void Succeeded() => CallTelemetry.Completed(_logger, _call, Route, _started, _activity, null);

    /// <summary>
    /// The call failed with <paramref name="error"/>: records it, then rethrows it with its stack trace, or returns
    /// the query_timeout's error to throw instead when the timeout (not the caller) cancelled the statements.
    /// </summary>
    public readonly Exception Failed(Exception error)
    {
        Exception thrown = error is OperationCanceledException && TimedOut ? RemoteErrors.QueryTimeout(Route!, error) : error;
        CallTelemetry.Completed(_logger, _call, Route, _started, _activity, thrown);
        if (ReferenceEquals(thrown, error))
        {
            ExceptionDispatchInfo.Throw(error);
        }

        return thrown;
    }

    /// <summary>Ends the trace, the timeout and the lease.</summary>
    public readonly void Dispose()
    {
        _timeout?.Dispose();
        Route?.Cluster.Release();
        _activity?.Dispose();
    }
}

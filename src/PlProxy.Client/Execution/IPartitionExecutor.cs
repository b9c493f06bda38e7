using System.Data.Common;

namespace PlProxy.Client.Execution;

/// <summary>
/// The seam between routing and the databases: runs one partition's part of a planned call and returns its rows.
/// PlProxy.Client runs partitions through Npgsql; a test double (PlProxy.Client.Testing's fake clusters) implements
/// this to answer from memory while the generated proxies, the binder and the planner stay real.
/// </summary>
public interface IPartitionExecutor
{
    /// <summary>Runs <paramref name="request"/> and returns a reader over its rows (disposed by the caller).</summary>
    /// <param name="request">The partition, the remote function and its arguments.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The rows.</returns>
    ValueTask<DbDataReader> ExecuteAsync(PartitionRequest request, CancellationToken cancellationToken);
}

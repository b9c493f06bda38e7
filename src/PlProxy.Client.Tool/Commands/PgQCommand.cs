using System.CommandLine;

namespace PlProxy.Client.Tool.Commands;

/// <summary><c>plproxy pgq</c>: SkyTools' queue tools (queue mover, splitter, table and cube dispatchers) and consumer registration, each applying a batch into its target exactly once.</summary>
internal static class PgQCommand
{
    public static Command Create() => new("pgq", "PgQ queues: move or split events into other queues, register consumers, show their status.")
    {
        PgQMoveCommand.Create(), PgQSplitCommand.Create(), PgQDispatchTableCommand.Create(), PgQDispatchCubeCommand.Create(),
        PgQRegisterCommand.Create(), PgQUnregisterCommand.Create(), PgQStatusCommand.Create(),
    };
}

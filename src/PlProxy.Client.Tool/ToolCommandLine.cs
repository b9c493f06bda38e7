using System.CommandLine;
using PlProxy.Client.Scaffold;
using PlProxy.Client.Tool.Partconf;
using PlProxy.Client.Tool.PgQ;
using PlProxy.Client.Tool.Resharding;

namespace PlProxy.Client.Tool;

/// <summary>The <c>plproxy</c> command line: one verb per operation, with --help and --version.</summary>
internal static class ToolCommandLine
{
    public static RootCommand Create() =>
        new("plproxy: PL/Proxy clusters for PlProxy.Client — scaffold interfaces, install partconf, split and move partitions online, verify partitions, show their status.")
        {
            ScaffoldCommand.Create(),
            PartconfCommands.Partconf(),
            ReshardCommands.Split(),
            ReshardCommands.Move(),
            PartconfCommands.Verify(),
            PartconfCommands.Status(),
            PgQCommands.Create(),
        };
}

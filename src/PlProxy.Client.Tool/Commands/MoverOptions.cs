using System.CommandLine;

namespace PlProxy.Client.Tool.Commands;

/// <summary>
/// The options of the pgq verbs that apply batches into a target (move, split, dispatch-table, dispatch-cube): the queue
/// options, then how they run — once, or as a long-lived consumer that outlives a database's restart (SkyTools'
/// <c>exception_sleep</c>).
/// </summary>
internal sealed class MoverOptions : QueueOptions
{
    public Option<bool> Once { get; } = new("--once") { Description = "Process every batch ready now, then exit" };

    public Option<double> ExceptionSleep { get; } = new("--exception-sleep")
    {
        Description = "Seconds to wait after a failed batch before trying again, when running as a long-lived consumer (SkyTools' exception_sleep)",
        DefaultValueFactory = _ => 20,
    };

    protected override IEnumerable<Option> Trailing => [Once, ExceptionSleep];

    protected override void AddChecks(Command command)
    {
        base.AddChecks(command);
        command.Validators.Add(result =>
        {
            if (result.GetValue(ExceptionSleep) is var seconds && (seconds < 0 || double.IsNaN(seconds) || seconds > TimeSpan.FromDays(1).TotalSeconds))
            {
                result.AddError($"--exception-sleep must be between 0 and 86400 seconds, not {seconds}.");
            }
        });
    }
}

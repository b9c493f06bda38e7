using System.CommandLine;

namespace PlProxy.Client.Tool.Verbs;

/// <summary>
/// Options a family of verbs shares (as the EF Core tools' command bases do): added to each verb in one order, the
/// leading ones before the verb's own and the rest after, with the checks that span them.
/// </summary>
internal abstract class VerbOptions
{
    /// <summary>The options listed before the verb's own, in order.</summary>
    protected abstract IEnumerable<Option> Leading { get; }

    /// <summary>The options listed after the verb's own, in order.</summary>
    protected virtual IEnumerable<Option> Trailing => [];

    /// <summary>Adds the options to <paramref name="command"/> and the checks that span several of them.</summary>
    public void AddTo(Command command)
    {
        int at = 0;
        foreach (Option option in Leading)
        {
            command.Options.Insert(at++, option);
        }

        foreach (Option option in Trailing)
        {
            command.Options.Add(option);
        }

        AddChecks(command);
    }

    /// <summary>Checks that span several options, reported before the verb runs.</summary>
    protected virtual void AddChecks(Command command)
    {
    }
}

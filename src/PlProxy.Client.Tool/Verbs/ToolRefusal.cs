namespace PlProxy.Client.Tool.Verbs;

/// <summary>
/// The tool's one refusal: what is wrong, in a sentence that says what was (or was not) changed, and the exit code the
/// verb ends with — <see cref="BadInput"/> 1 (an argument, a file or a connection string that cannot be used), otherwise
/// 2 (a database that cannot be used or refuses, a check a database failed, another process at work).
/// </summary>
internal sealed class ToolRefusal : Exception
{
    /// <summary>A refusal ending with exit code 2.</summary>
    public ToolRefusal(string message, Exception? innerException = null)
        : this(message, 2, innerException)
    {
    }

    private ToolRefusal(string message, int exitCode, Exception? innerException)
        : base(message, innerException) => ExitCode = exitCode;

    /// <summary>The verb's exit code.</summary>
    public int ExitCode { get; }

    /// <summary>Bad input: exit code 1.</summary>
    public static ToolRefusal BadInput(string message, Exception? innerException = null) => new(message, 1, innerException);

    /// <summary>A check that found a difference (a copy that differs from its source): exit code 1.</summary>
    public static ToolRefusal CheckFailed(string message) => new(message, 1, null);

    /// <summary>The same refusal, said in more words: <paramref name="message"/> with <paramref name="inner"/>'s exit code (2 for any other failure).</summary>
    public static ToolRefusal Rephrased(string message, Exception inner) => new(message, inner is ToolRefusal refusal ? refusal.ExitCode : 2, inner);
}

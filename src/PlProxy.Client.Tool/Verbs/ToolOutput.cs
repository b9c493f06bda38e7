using System.Text;
using PlProxy.Client.Connections;

namespace PlProxy.Client.Tool.Verbs;

/// <summary>
/// What a verb prints (its output or its errors), with every password the tool knows of replaced by <c>***</c>: those
/// of the connection strings on its command line and in <c>PGPASSWORD</c>, and those of the databases it reads from a
/// proxy database or an operation's record (<see cref="HideSecretsOf(string)"/>). Messages name databases without passwords in
/// the first place (<see cref="ConnectionStrings.Shown"/>); this is the net under them, for what a server or a program
/// quotes back (psql's <c>LINE 1:</c> of a statement holding a connection string, say). Steps running side by side
/// (copies, comparisons) write through it at once, so a line is written whole, one at a time.
/// </summary>
internal sealed class ToolOutput(TextWriter inner) : TextWriter
{
    private readonly List<string> _secrets = [];
    private readonly object _writing = new();

    public override Encoding Encoding => inner.Encoding;

    /// <summary>Hides, from now on, the passwords of <paramref name="connectionString"/> (either form), as written and as quoted.</summary>
    public void HideSecretsOf(string? connectionString)
    {
        if (string.IsNullOrEmpty(connectionString))
        {
            return;
        }

        foreach (string secret in ConnectionStrings.Secrets(connectionString))
        {
            Hide(secret);
        }
    }

    /// <summary>The invocation's error writer, which hides what this one hides (set for a verb's output).</summary>
    public ToolOutput? Errors { get; set; }

    /// <summary>Hides the passwords of every partition of a cluster, with the credentials its definition adds.</summary>
    public void HideSecretsOf(PlProxy.Client.Partconf.PartconfCluster cluster)
    {
        foreach (string partition in cluster.Definition.Options.Partitions)
        {
            HideSecretsOf(cluster.ConnectionStringOf(partition));
        }
    }

    /// <summary>Hides one secret, as written and in the quoted forms SQL and libpq give it.</summary>
    public void Hide(string? secret)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return;
        }

        Errors?.Hide(secret);
        lock (_secrets)
        {
            foreach (string form in (string[])[secret, secret.Replace("'", "''", StringComparison.Ordinal), secret.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)])
            {
                if (!_secrets.Contains(form))
                {
                    _secrets.Add(form);
                    _secrets.Sort((a, b) => b.Length.CompareTo(a.Length)); // the longest form first
                }
            }
        }
    }

    public override void Write(char value)
    {
        lock (_writing)
        {
            inner.Write(value);
        }
    }

    public override void Write(string? value)
    {
        string? shown = Redact(value);
        lock (_writing)
        {
            inner.Write(shown);
        }
    }

    public override void WriteLine(string? value)
    {
        string? shown = Redact(value);
        lock (_writing)
        {
            inner.WriteLine(shown);
        }
    }

    // A console line is written at once; under the lock, never two at a time.
    public override Task WriteAsync(string? value)
    {
        Write(value);
        return Task.CompletedTask;
    }

    public override Task WriteLineAsync(string? value)
    {
        WriteLine(value);
        return Task.CompletedTask;
    }

    public override void Flush()
    {
        lock (_writing)
        {
            inner.Flush();
        }
    }

    public override Task FlushAsync() => inner.FlushAsync();

    private string? Redact(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return value;
        }

        lock (_secrets)
        {
            foreach (string secret in _secrets)
            {
                value = value.Replace(secret, "***", StringComparison.Ordinal);
            }
        }

        return value;
    }
}

using System.Text;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>
/// libpq's password file (<c>~/.pgpass</c>, or <c>PGPASSFILE</c>, or a string's <c>Passfile</c>): the password it gives a
/// connection, read as libpq reads it — lines <c>host:port:database:user:password</c>, <c>*</c> matching any value,
/// <c>\</c> escaping <c>:</c> and <c>\</c>, <c>#</c> starting a comment, the first matching line winning, and a file
/// that others may read ignored.
/// </summary>
internal static class PasswordFile
{
    /// <summary>The password <paramref name="path"/> (or libpq's default file when null) gives the connection, or null.</summary>
    public static string? PasswordFor(string? path, string host, int port, string database, string user)
    {
        path ??= Environment.GetEnvironmentVariable("PGPASSFILE") ?? DefaultPath();
        if (path is null || !File.Exists(path))
        {
            return null;
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0)
        {
            return null; // libpq warns and ignores it
        }

        string[] wanted = [host, port.ToString(System.Globalization.CultureInfo.InvariantCulture), database, user];
        foreach (string line in File.ReadLines(path))
        {
            if (line.StartsWith('#') || Fields(line) is not { } fields)
            {
                continue;
            }

            bool matches = true;
            for (int i = 0; i < 4 && matches; i++)
            {
                matches = fields[i] == "*" || fields[i] == wanted[i];
            }

            if (matches)
            {
                return fields[4];
            }
        }

        return null;
    }

    private static string? DefaultPath() => OperatingSystem.IsWindows()
        ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData), "postgresql", "pgpass.conf")
        : Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? Path.Combine(home, ".pgpass") : null;

    // The line's five fields, unescaped; null for a line of fewer.
    private static string[]? Fields(string line)
    {
        var fields = new List<string>(5);
        var field = new StringBuilder();
        for (int i = 0; i < line.Length; i++)
        {
            if (line[i] == '\\' && i + 1 < line.Length)
            {
                field.Append(line[++i]);
            }
            else if (line[i] == ':' && fields.Count < 4)
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(line[i]);
            }
        }

        fields.Add(field.ToString());
        return fields.Count == 5 ? [.. fields] : null;
    }
}

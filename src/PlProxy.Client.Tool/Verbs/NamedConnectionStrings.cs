using System.Text.Json;
using System.Text.RegularExpressions;
using PlProxy.Client.Configuration;

namespace PlProxy.Client.Tool.Verbs;

/// <summary>
/// Connection strings given by name, as <c>dotnet ef</c> takes them (<c>--proxy Name=Proxy</c>): looked up where a .NET
/// application keeps them — <c>ConnectionStrings:&lt;name&gt;</c> (or the full key) in the current directory's
/// appsettings.json, appsettings.&lt;DOTNET_ENVIRONMENT&gt;.json, the user secrets of the project there
/// (<c>UserSecretsId</c>) and the environment (<c>ConnectionStrings__&lt;name&gt;</c>), later sources winning — so a
/// password never appears in the command line, <c>ps</c> or the shell's history. <c>Name=</c> is read as the runtime
/// reads it in <c>PlProxy:Clusters</c> (<see cref="NamedConnectionString"/>). <c>--project</c> (a project's directory or
/// its <c>.csproj</c>, as <c>dotnet ef --project</c>) reads another project's configuration than the current directory's.
/// </summary>
internal static partial class NamedConnectionStrings
{
    /// <summary>The option naming the project whose configuration names connection strings.</summary>
    public const string ProjectOption = "--project";

    private static readonly HashSet<string> ConnectionOptions = new(StringComparer.Ordinal) { "--proxy", "--source", "--target", "--to", "--connection" };

    /// <summary>
    /// The project whose configuration names connection strings: the value of <c>--project</c> (a directory, or a
    /// <c>.csproj</c> whose user secrets are read), relative to <paramref name="currentDirectory"/>; without it, the
    /// current directory. Null project file: every <c>.csproj</c> of the directory is looked at for user secrets.
    /// </summary>
    /// <exception cref="ToolRefusal">A <c>--project</c> that names neither a directory nor a file (exit code 1).</exception>
    public static (string Directory, string? ProjectFile) ProjectOf(string[] args, string currentDirectory)
    {
        string? given = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == ProjectOption)
            {
                given = i + 1 < args.Length ? args[i + 1] : null;
            }
            else if (args[i].StartsWith(ProjectOption + "=", StringComparison.Ordinal))
            {
                given = args[i][(ProjectOption.Length + 1)..];
            }
        }

        if (given is null)
        {
            return (currentDirectory, null);
        }

        string path = Path.GetFullPath(given, currentDirectory);
        return Directory.Exists(path) ? (path, null)
            : !File.Exists(path) ? throw ToolRefusal.BadInput($"{ProjectOption} {given}: no such project file or directory.")
            : path.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase) ? (Path.GetDirectoryName(path)!, path)
            : throw ToolRefusal.BadInput($"{ProjectOption} {given}: not a project file (.csproj) nor a directory.");
    }

    /// <summary>The arguments with every connection-string value written <c>Name=&lt;name&gt;</c> replaced by what the name holds.</summary>
    /// <exception cref="ToolRefusal">A name that no source defines (exit code 1); the message says where it looked.</exception>
    public static string[] Resolve(string[] args, string directory, IReadOnlyDictionary<string, string> environment, string? projectFile = null)
    {
        Dictionary<string, string>? settings = null;
        string? option = null;
        var resolved = new string[args.Length];
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                int equals = arg.IndexOf('=', StringComparison.Ordinal);
                option = equals < 0 ? arg : arg[..equals];
                resolved[i] = equals >= 0 && ConnectionOptions.Contains(option) && NamedConnectionString.NameOf(arg[(equals + 1)..]) is { } given
                    ? $"{option}={Lookup(given)}"
                    : arg;
                continue;
            }

            resolved[i] = option is not null && ConnectionOptions.Contains(option) && NamedConnectionString.NameOf(arg) is { } name ? Lookup(name) : arg;
        }

        return resolved;

        string Lookup(string name)
        {
            settings ??= Read(directory, projectFile, environment);
            return (settings.TryGetValue($"ConnectionStrings:{name}", out string? value) || settings.TryGetValue(name, out value)) && !string.IsNullOrEmpty(value)
                ? value
                : throw ToolRefusal.BadInput($"Name={name}: no connection string of that name in {directory}'s appsettings.json, appsettings.<DOTNET_ENVIRONMENT>.json, the project's user secrets, or the environment (ConnectionStrings__{name.Replace(":", "__", StringComparison.Ordinal)}).");
        }
    }

    // Configuration keys (case-insensitive, ':'-separated) from each source in turn, later ones winning.
    private static Dictionary<string, string> Read(string directory, string? projectFile, IReadOnlyDictionary<string, string> environment)
    {
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? name = environment.GetValueOrDefault("DOTNET_ENVIRONMENT") ?? environment.GetValueOrDefault("ASPNETCORE_ENVIRONMENT");
        foreach (string file in (string[])["appsettings.json", .. name is { Length: > 0 } ? [$"appsettings.{name}.json"] : Array.Empty<string>()])
        {
            AddJson(settings, Path.Combine(directory, file));
        }

        if (UserSecretsFile(directory, projectFile, environment) is { } secrets)
        {
            AddJson(settings, secrets);
        }

        foreach ((string key, string value) in environment)
        {
            if (key.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase))
            {
                settings[key.Replace("__", ":", StringComparison.Ordinal)] = value;
            }
        }

        return settings;
    }

    private static void AddJson(Dictionary<string, string> settings, string path)
    {
        if (!File.Exists(path))
        {
            return;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            Flatten(settings, document.RootElement, prefix: null);
        }
        catch (JsonException e)
        {
            throw ToolRefusal.BadInput($"{path} is not valid JSON (line {e.LineNumber + 1}); no connection string was read from it.", e);
        }
    }

    private static void Flatten(Dictionary<string, string> settings, JsonElement element, string? prefix)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    Flatten(settings, property.Value, prefix is null ? property.Name : $"{prefix}:{property.Name}");
                }

                break;
            case JsonValueKind.Array:
                int index = 0;
                foreach (JsonElement item in element.EnumerateArray())
                {
                    Flatten(settings, item, $"{prefix}:{index++}");
                }

                break;
            case JsonValueKind.String when prefix is not null:
                settings[prefix] = element.GetString()!;
                break;
            default:
                if (prefix is not null && element.ValueKind is not JsonValueKind.Null)
                {
                    settings[prefix] = element.GetRawText();
                }

                break;
        }
    }

    // The user secrets of the project (the one given, or one in the directory), where `dotnet user-secrets` keeps them.
    private static string? UserSecretsFile(string directory, string? projectFile, IReadOnlyDictionary<string, string> environment)
    {
        foreach (string project in projectFile is not null ? [projectFile] : Directory.Exists(directory) ? Directory.GetFiles(directory, "*.csproj") : [])
        {
            Match id = UserSecretsId().Match(File.ReadAllText(project));
            if (id.Success)
            {
                string root = environment.GetValueOrDefault("APPDATA") is { Length: > 0 } appData
                    ? Path.Combine(appData, "Microsoft", "UserSecrets")
                    : Path.Combine(environment.GetValueOrDefault("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".microsoft", "usersecrets");
                return Path.Combine(root, id.Groups[1].Value.Trim(), "secrets.json");
            }
        }

        return null;
    }

    [GeneratedRegex("<UserSecretsId>([^<]+)</UserSecretsId>")]
    private static partial Regex UserSecretsId();
}

using System.CommandLine;

namespace PlProxy.Client.Tool.Verbs;

/// <summary>
/// The options of a verb that works on one cluster: <c>--cluster</c> and where it is defined, a proxy database
/// (<c>--proxy</c>) or, for verbs that also read an application's configuration, its appsettings.json (<c>--config</c>).
/// </summary>
internal class ClusterOptions : VerbOptions
{
    /// <summary>Options for a cluster a proxy database defines (<c>--proxy</c> required).</summary>
    public ClusterOptions()
        : this(proxyDescription: "The proxy database that defines the cluster (Npgsql or libpq form)", configDescription: null)
    {
    }

    /// <summary>Options for a cluster a proxy database or, given <paramref name="configDescription"/>, an appsettings.json defines.</summary>
    protected ClusterOptions(string proxyDescription, string? configDescription)
    {
        Proxy = new("--proxy") { Description = proxyDescription, Required = configDescription is null };
        AcceptsConfig = configDescription is not null;
        Config = new("--config") { Description = configDescription };
    }

    public Option<string> Proxy { get; }

    public Option<string> Cluster { get; } = new("--cluster") { Description = "The cluster's name", Required = true };

    /// <summary>The application's appsettings.json, for verbs that accept it instead of <see cref="Proxy"/> (<see cref="AcceptsConfig"/>).</summary>
    public Option<string> Config { get; }

    /// <summary>Whether the verb takes <see cref="Config"/>; without it, <see cref="Proxy"/> is required.</summary>
    public bool AcceptsConfig { get; }

    protected override IEnumerable<Option> Leading => [Proxy, Cluster];

    protected override IEnumerable<Option> Trailing => AcceptsConfig ? [Config] : [];

    // With --config accepted: exactly one of --proxy and --config.
    protected override void AddChecks(Command command)
    {
        if (!AcceptsConfig)
        {
            return;
        }

        command.Validators.Add(result =>
        {
            if ((result.GetResult(Proxy) is not null) == (result.GetResult(Config) is not null))
            {
                result.AddError("Give the cluster's definition: --proxy (a proxy database) or --config (an appsettings.json), one of them.");
            }
        });
    }
}

namespace Worker;

/// <summary>The host: the ledger cluster from configuration, the consumer of the queue of credits.</summary>
public static class CreditsWorker
{
    /// <summary>Builds the host from the command line, appsettings.json, user secrets and the environment, then <paramref name="settings"/> (for tests).</summary>
    public static IHost Build(string[] args, IDictionary<string, string?>? settings = null)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Services.AddPlProxy(builder.Configuration.GetSection("PlProxy"))
            .AddProxy<ILedger>()
            .WarmUpOnStart();
        builder.Services.AddPgQConsumer<CreditHandler>("credits", options =>
        {
            IConfigurationSection credits = builder.Configuration.GetSection("Credits");
            options.ConnectionString = builder.Configuration.GetConnectionString(credits["ConnectionStringName"] ?? "Queue") ?? "";
            options.Queue = credits["Queue"] ?? "credits";
            options.Consumer = credits["Consumer"] ?? "ledger_worker";
            options.IdleDelay = credits.GetValue("IdleDelay", TimeSpan.FromSeconds(1));
        });
        return builder.Build();
    }
}

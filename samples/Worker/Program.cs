using Worker;

// dotnet run --project samples/Worker   (ConnectionStrings:Queue and the ledger's partitions in appsettings.json,
// user secrets or the environment; PgQ's ticker, pgqd, running for the queue's database)
await CreditsWorker.Build(args).RunAsync();

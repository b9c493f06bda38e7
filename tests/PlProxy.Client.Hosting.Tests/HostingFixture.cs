using PlProxy.Client.Testing;

namespace PlProxy.Client.Hosting.Tests;

[PlProxy("RUN ON 0;")]
public interface IGhosts
{
    [PlProxy("CLUSTER 'ghost';")]
    Task<string> WhoamiAsync(CancellationToken cancellationToken = default);
}

/// <summary>Declares nothing of its own: what it inherits names the cluster.</summary>
[PlProxy("")]
public interface IGhostsInherited : IGhosts
{
}

public interface IDefinedInProxyDatabase
{
    [PlProxy("CLUSTER 'fromproxy'; RUN ON 0;")]
    Task<string> WhoamiAsync(CancellationToken cancellationToken = default);
}

public interface IPair
{
    [PlProxy("CLUSTER 'pair'; RUN ON n; SELECT current_database()::text;")]
    Task<string> WhoamiAsync(int n, CancellationToken cancellationToken = default);

    [PlProxy("CLUSTER 'pair'; RUN ON n; SELECT current_database()::text FROM pg_sleep(seconds);")]
    Task<string> SleepAsync(int n, double seconds, CancellationToken cancellationToken = default);
}

/// <summary>One local server: two partition databases answering whoami(), and a proxy database defining cluster 'fromproxy' over them.</summary>
public sealed class HostingFixture : IAsyncLifetime
{
    public LocalPostgresServer Server { get; private set; } = null!;

    public string[] Partitions { get; private set; } = [];

    public string ProxyDatabase { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        Server = await LocalPostgresServer.StartAsync();
        Partitions = new string[2];
        for (int i = 0; i < 2; i++)
        {
            Partitions[i] = await Server.CreateDatabaseAsync($"host{i}");
            await Server.ExecuteAsync($"host{i}", "create function whoami() returns text language sql as $$ select current_database()::text $$;");
        }

        ProxyDatabase = await Server.CreateDatabaseAsync("hostproxy");
        await Server.ExecuteAsync("hostproxy", $"""
            create schema plproxy;
            create table plproxy.cluster_partitions (cluster_name text, idx int, connstr text);
            insert into plproxy.cluster_partitions values ('fromproxy', 0, '{Partitions[0]}'), ('fromproxy', 1, '{Partitions[1]}');
            create function plproxy.get_cluster_version(i_cluster text) returns int4 language plpgsql as $$
            begin
                if not exists (select 1 from plproxy.cluster_partitions where cluster_name = i_cluster) then
                    raise exception 'no such cluster: %', i_cluster;
                end if;
                return 1;
            end $$;
            create function plproxy.get_cluster_partitions(i_cluster text) returns setof text language sql as $$
                select connstr from plproxy.cluster_partitions where cluster_name = i_cluster order by idx $$;
            create function plproxy.get_cluster_config(in i_cluster text, out key text, out val text) returns setof record language sql as $$
                select null::text, null::text where false $$;
            """);
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

using Npgsql;

namespace PlProxy.Client.Tool.Verbs;

/// <summary>
/// Which of several connection strings reach one database, however they are written (a host's other name or address,
/// another form): a connection is held to each, and a database is another one's when that one's backend, told by its
/// process ID and start time, is seen in its <c>pg_stat_activity</c> under its own name.
/// </summary>
internal static class DatabaseIdentity
{
    /// <summary>For each database, the index of the first of <paramref name="databases"/> that is the same database (its own index when none before it is).</summary>
    public static async Task<int[]> FirstOfEachAsync(IReadOnlyList<NpgsqlDataSource> databases, CancellationToken cancellationToken)
    {
        var held = new NpgsqlConnection[databases.Count];
        try
        {
            var pids = new int[databases.Count];
            var starts = new DateTime[databases.Count];
            for (int i = 0; i < databases.Count; i++)
            {
                held[i] = await databases[i].OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using var me = new NpgsqlCommand("select pid, backend_start from pg_catalog.pg_stat_activity where pid = pg_catalog.pg_backend_pid()", held[i]);
                await using NpgsqlDataReader row = await me.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await row.ReadAsync(cancellationToken).ConfigureAwait(false);
                (pids[i], starts[i]) = (row.GetInt32(0), row.GetDateTime(1));
            }

            int[] first = [.. Enumerable.Range(0, databases.Count)];
            for (int i = 0; i < databases.Count; i++)
            {
                if (first[i] != i)
                {
                    continue; // already known to be an earlier one's
                }

                await using var seen = new NpgsqlCommand(
                    "select pid, backend_start from pg_catalog.pg_stat_activity where datname = pg_catalog.current_database() and pid = any($1)", held[i]);
                seen.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = pids });
                await using NpgsqlDataReader rows = await seen.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await rows.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    (int pid, DateTime started) = (rows.GetInt32(0), rows.GetDateTime(1));
                    for (int j = i + 1; j < databases.Count; j++)
                    {
                        if (pids[j] == pid && starts[j] == started)
                        {
                            first[j] = i;
                        }
                    }
                }
            }

            return first;
        }
        finally
        {
            foreach (NpgsqlConnection? connection in held)
            {
                if (connection is not null)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }
}

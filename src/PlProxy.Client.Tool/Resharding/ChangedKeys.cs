using System.Globalization;
using Npgsql;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>
/// The keys of the rows written in one database from the moment this starts, so that the check under the fence need
/// read only the rows written since the last comparison: a temporary logical replication slot (PostgreSQL's
/// <c>test_decoding</c>) held by a connection of its own and read with <c>pg_logical_slot_get_changes</c>. PostgreSQL
/// drops a temporary slot when its session ends, so a tool that is killed leaves no slot behind to retain WAL. A table
/// truncated, or changed without its key in the decoded change (no replica identity, a key column kept out of line), is
/// marked whole: all its rows must be compared.
/// </summary>
internal sealed class ChangedKeys : IAsyncDisposable
{
    /// <summary>Separates the columns of a composite key in <see cref="KeysOf"/>' values (text never holds a NUL).</summary>
    public const char Separator = '\0';

    private readonly NpgsqlConnection _connection;
    private readonly string _slot;
    private readonly Dictionary<string, TableKey> _tables;
    private readonly Dictionary<string, HashSet<string>> _keys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _whole = new(StringComparer.Ordinal);

    private ChangedKeys(NpgsqlConnection connection, string slot, IEnumerable<TableKey> tables)
    {
        _connection = connection;
        _slot = slot;
        _tables = tables.DistinctBy(t => t.Qualified).ToDictionary(t => t.Qualified, StringComparer.Ordinal);
    }

    /// <summary>
    /// Starts recording the keys written to <paramref name="tables"/>. Creating the slot waits for the transactions
    /// open on the database to end; after <paramref name="timeout"/> it fails (SQLSTATE 57014).
    /// </summary>
    public static async Task<ChangedKeys> StartAsync(string connectionString, IEnumerable<TableKey> tables, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // A connection of its own, never pooled: the slot lives exactly as long as this session.
        NpgsqlConnectionStringBuilder builder = ToolDatabase.Configure(new(connectionString) { Pooling = false, ApplicationName = "plproxy recheck" });
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (var limit = new NpgsqlCommand($"set statement_timeout = {(long)timeout.TotalMilliseconds}", connection))
            {
                await limit.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            string slot = "plproxy_recheck_" + Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture);
            await using (var create = new NpgsqlCommand("select pg_catalog.pg_create_logical_replication_slot($1, 'test_decoding', true)", connection))
            {
                create.Parameters.Add(new NpgsqlParameter<string> { TypedValue = slot });
                await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using (var unlimited = new NpgsqlCommand("set statement_timeout = 0", connection))
            {
                await unlimited.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            var recorder = new ChangedKeys(connection, slot, tables);
            await recorder.MarkUnreadableAsync(cancellationToken).ConfigureAwait(false);
            return recorder;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Reads the changes committed since the last reading and records their keys.</summary>
    public async Task ReadAsync(CancellationToken cancellationToken)
    {
        await using var read = new NpgsqlCommand("select data from pg_catalog.pg_logical_slot_get_changes($1, null, null, 'skip-empty-xacts', '1')", _connection);
        read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _slot });
        await using NpgsqlDataReader reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (DecodedChange.Parse(reader.GetString(0)) is { } change && _tables.TryGetValue(change.Table, out TableKey? table))
            {
                Record(change, table);
            }
        }
    }

    /// <summary>The keys of <paramref name="table"/> written since the last <see cref="Clear"/>, each its columns joined by <see cref="Separator"/>.</summary>
    public IReadOnlyCollection<string> KeysOf(TableKey table) => _keys.TryGetValue(table.Qualified, out HashSet<string>? keys) ? keys : [];

    /// <summary>Whether a change to <paramref name="table"/> named no key since recording began: every row must be compared.</summary>
    public bool IsWhole(TableKey table) => _whole.Contains(table.Qualified);

    /// <summary>Forgets the keys recorded so far (they have been compared); a table marked whole stays whole.</summary>
    public void Clear() => _keys.Clear();

    /// <summary>Ends the session, which drops its temporary slot.</summary>
    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    // A column whose type's name holds "]:" (a quoted user-defined name) would end its type early in a decoded line:
    // such a table's changes are not read key by key; it is compared whole.
    private async Task MarkUnreadableAsync(CancellationToken cancellationToken)
    {
        await using var read = new NpgsqlCommand("""
            select distinct quote_ident(n.nspname) || '.' || quote_ident(c.relname)
            from pg_catalog.pg_attribute a
            join pg_catalog.pg_class c on c.oid = a.attrelid
            join pg_catalog.pg_namespace n on n.oid = c.relnamespace
            where a.attrelid = any($1::regclass[]) and a.attnum > 0 and not a.attisdropped
              and position(']:' in format_type(a.atttypid, null)) > 0
            """, _connection);
        read.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. _tables.Values.Select(t => t.Table)] });
        await using NpgsqlDataReader reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            _whole.Add(reader.GetString(0));
        }
    }

    private void Record(DecodedChange change, TableKey table)
    {
        if (change.Kind == "TRUNCATE" || change.Tuples.Count == 0)
        {
            _whole.Add(table.Qualified);
            return;
        }

        foreach (IReadOnlyDictionary<string, string?> tuple in change.Tuples)
        {
            var key = new string?[table.Columns.Count];
            for (int i = 0; i < key.Length; i++)
            {
                key[i] = tuple.TryGetValue(table.Columns[i].Name, out string? value) ? value : null;
            }

            if (Array.IndexOf(key, null) >= 0)
            {
                _whole.Add(table.Qualified);
                return;
            }

            if (!_keys.TryGetValue(table.Qualified, out HashSet<string>? keys))
            {
                keys = new HashSet<string>(StringComparer.Ordinal);
                _keys.Add(table.Qualified, keys);
            }

            keys.Add(string.Join(Separator, key));
        }
    }
}

using System.Data.Common;
using System.Runtime.CompilerServices;
using Npgsql;
using Npgsql.PostgresTypes;
using PlProxy.Client.Connections;
using PlProxy.Client.Language;
using PlProxy.Client.Resilience;

namespace PlProxy.Client.Execution;

/// <summary>
/// A <c>[MergeOrder]</c> call on several databases: each database's rows come in the order, and a k-way merge hands
/// them out in the order of all of them together, reading each database's rows as they come (one row per database
/// held: bounded memory). Rows equal on every key come in target order, then in each database's own order. With a
/// <c>[Limit]</c>, the merge stops after that many rows and the databases' remaining work is stopped (their statements
/// cancelled, as for any abandoned read).
/// </summary>
internal static class OrderedMerge
{
    private static readonly ConditionalWeakTable<NpgsqlDataSource, TextOrder> TextOrders = new();

    // The most rows read past a reached limit per database before its statement is cancelled instead.
    private const long MaxRowsSkipped = 10_000;

    public static async IAsyncEnumerable<T> MergeAsync<T>(Partitions partitions, Route route, RowReader<T> read, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        MergeKey[] keys = route.Call.MergeOrder!;
        long limit = Limit(route);
        int count = route.Plan.Count;
        var cursors = new PartitionCursor?[count];
        try
        {
            if (limit == 0)
            {
                yield break;
            }

            // What each database's catalog says of text order, read before any statement of the merge holds a connection
            // (with one connection per partition, a lookup beside the merge's own statement would wait for it forever).
            // Read once per pool; after that, only the cache is looked at.
            var textOrders = new TextOrder?[count];
            for (int i = 0; i < count; i++)
            {
                if (partitions.CatalogOf(route, i) is { } catalog)
                {
                    textOrders[i] = TextOrders.TryGetValue(catalog, out TextOrder? known) ? known : await TextOrderOfAsync(catalog, cancellationToken).ConfigureAwait(false);
                }
            }

            // Each database opened and its first row read in a task of its own, the statements running at once. The merge
            // holds a connection to each until it ends, so two merges that each held some would wait for each other's:
            // under a connection budget per host, what the merge holds of it is reserved whole first; under a cap per
            // database, the databases' slots are taken one after the other in the order every merge takes them, those of
            // a database the cluster lists twice in its turn among merges.
            var hasRow = new bool[count];
            using (ConnectionBudget.Reservation? reserved = await partitions.ReserveAsync(route, cancellationToken).ConfigureAwait(false))
            {
                var opening = new List<Task>(count);
                try
                {
                    await OpenInSlotOrderAsync(partitions, route, reserved, cursors, hasRow, opening, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    // Every part that started ends before the merge goes on or fails: none sets its cursor after they are disposed.
                    await Task.WhenAll(opening).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                await Task.WhenAll(opening).ConfigureAwait(false);
            }

            var heads = new object?[count][];
            var kinds = new MergeKeyKind[keys.Length];
            var labels = new Dictionary<string, int>?[keys.Length];
            var ordinals = new int[count][];
            bool bound = false;
            var queue = new PriorityQueue<int, int>(count, Comparer<int>.Create((a, b) => CompareHeads(heads[a], heads[b], keys, kinds) is var c && c != 0 ? c : a.CompareTo(b)));
            for (int i = 0; i < count; i++)
            {
                if (!hasRow[i])
                {
                    continue;
                }

                PartitionCursor cursor = cursors[i]!;
                ordinals[i] = Bind(cursor, keys, kinds, labels, bound, route);
                bound = true;

                CheckCollation(cursor, textOrders[i], keys, kinds, route);
                heads[i] = Keys(cursor, ordinals[i], kinds, labels, route, cursors);
                queue.Enqueue(i, i);
            }

            long produced = 0;
            while (queue.TryDequeue(out int next, out _))
            {
                PartitionCursor cursor = cursors[next]!;
                yield return cursor.Current(read);
                if (++produced == limit)
                {
                    yield break; // the rest are abandoned: disposing each cursor stops its statement
                }

                if (await cursor.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    object?[] previous = heads[next]!;
                    heads[next] = Keys(cursor, ordinals[next], kinds, labels, route, cursors);
                    if (CompareHeads(heads[next], previous, keys, kinds) < 0)
                    {
                        // The merge is exact only over rows that come in its order: a function ordering otherwise (another
                        // direction, NULLS placement or collation, a column's own collation) would be merged wrong in silence.
                        throw route.Errors.Error(
                            $"[MergeOrder] the rows of database {cursor.Database} do not come in the order \"{string.Join(", ", keys.Select(k => k.ToString()))}\": a row follows one it should precede. The function's ORDER BY must order by the same keys, directions, NULLS placement and collation",
                            PostgresErrorCodes.DataException);
                    }

                    queue.Enqueue(next, next);
                }
            }
        }
        finally
        {
            // The limit reached: each database was given it too, so what it still sends is at most that many rows,
            // read past here rather than cancelled (a cancel request is a connection of its own, and costs more than a
            // few rows). Past that many (a function that ignores the limit), the statement is cancelled on disposal.
            long skip = limit > 0 ? Math.Min(limit, MaxRowsSkipped) : 0;
            await Task.WhenAll(cursors.OfType<PartitionCursor>().Select(cursor => EndAsync(cursor, skip, cancellationToken))).ConfigureAwait(false);
        }
    }

    // One database's part ended: the rows the limit left read past (at most skip), then the cursor disposed.
    private static async Task EndAsync(PartitionCursor cursor, long skip, CancellationToken cancellationToken)
    {
        if (skip > 0 && !cancellationToken.IsCancellationRequested)
        {
            await cursor.SkipRestAsync(skip, cancellationToken).ConfigureAwait(false);
        }

        await cursor.DisposeAsync().ConfigureAwait(false);
    }

    // Each database's part opened in the order every merge takes slots, the next once this one holds its slot; those of a
    // database the cluster lists more than once in one turn. A part that fails before it holds its slot ends the opening:
    // the merge fails with it, the rest are not opened.
    private static async Task OpenInSlotOrderAsync(Partitions partitions, Route route, ConnectionBudget.Reservation? reserved, PartitionCursor?[] cursors, bool[] hasRow, List<Task> opening, CancellationToken cancellationToken)
    {
        foreach (int[] group in partitions.SlotOrder(route))
        {
            using IDisposable? turn = await partitions.GatherAsync(route, group, cancellationToken).ConfigureAwait(false);
            foreach (int target in group)
            {
                var slotTaken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Task part = OpenFirstRowAsync(partitions, route, target, reserved, slotTaken, cursors, hasRow, cancellationToken);
                opening.Add(part);
                if (await Task.WhenAny(slotTaken.Task, part).ConfigureAwait(false) == part && !part.IsCompletedSuccessfully)
                {
                    return;
                }
            }
        }
    }

    // One database's cursor (kept in cursors, so that it is disposed whatever happens) and whether it has a first row.
    private static async Task OpenFirstRowAsync(Partitions partitions, Route route, int target, ConnectionBudget.Reservation? reserved, TaskCompletionSource slotTaken, PartitionCursor?[] cursors, bool[] hasRow, CancellationToken cancellationToken)
    {
        PartitionCursor cursor = await partitions.OpenAsync(route, target, reserved, slotTaken, cancellationToken).ConfigureAwait(false);
        cursors[target] = cursor;
        hasRow[target] = await cursor.ReadAsync(cancellationToken).ConfigureAwait(false);
    }

    // The [Limit] argument: the most rows in total (null: no limit).
    private static long Limit(Route route)
    {
        if (route.Call.LimitArgument < 0 || route.Arguments[route.Call.LimitArgument] is not { } value)
        {
            return -1;
        }

        long limit = Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
        return limit >= 0 ? limit : throw route.Errors.Error($"LIMIT must not be negative, but it is {limit}", PostgresErrorCodes.InvalidRowCountInLimitClause);
    }

    // Each key's column in this database's result, and the kind of its values (the first database's bind the kinds;
    // the others must agree).
    private static int[] Bind(PartitionCursor cursor, MergeKey[] keys, MergeKeyKind[] kinds, Dictionary<string, int>?[] labels, bool bound, Route route)
    {
        var reader = cursor.Reader!;
        var ordinals = new int[keys.Length];
        for (int k = 0; k < keys.Length; k++)
        {
            int ordinal;
            try
            {
                ordinal = reader.GetOrdinal(keys[k].Column);
            }
            catch (IndexOutOfRangeException) when (reader.FieldCount == 1 && keys.Length == 1)
            {
                ordinal = 0; // a scalar result: its one column, whatever the remote query named it
            }
            catch (IndexOutOfRangeException)
            {
                throw route.Errors.Error($"[MergeOrder] key {keys[k].Column} is not a column of the result of {route.Call.Name}", PostgresErrorCodes.UndefinedColumn);
            }

            string type = PgOrder.TypeNameOf(reader, ordinal);
            MergeKeyKind kind;
            if (PgOrder.KindOf(type) is { } known)
            {
                kind = known;
            }
            else
            {
                // An enum orders by its labels' declared order (from the first database, as Npgsql loaded its types).
                labels[k] ??= EnumLabels(reader, ordinal);
                if (labels[k]!.Count == 0)
                {
                    throw route.Errors.Error($"[MergeOrder] key {keys[k].Column} is of type {type}, which a merge cannot order exactly as PostgreSQL does", PostgresErrorCodes.FeatureNotSupported);
                }

                kind = MergeKeyKind.Enum;
            }

            if (bound && kinds[k] != kind)
            {
                throw route.Errors.Error($"[MergeOrder] key {keys[k].Column} has different types on different partitions", PostgresErrorCodes.DatatypeMismatch);
            }

            kinds[k] = kind;
            ordinals[k] = ordinal;
        }

        return ordinals;
    }

    // Text keys without a declared byte-order collation take the database's: refused unless it orders by bytes too.
    // Bytes are code points only in UTF-8 (and SQL_ASCII, read as UTF-8) and LATIN1: under another encoding (WIN1251,
    // EUC_JP) the C collation's byte order is not the order of the characters read, so text keys there are refused.
    // A database without a catalog (a test executor's) has nothing to check.
    private static void CheckCollation(PartitionCursor cursor, TextOrder? database, MergeKey[] keys, MergeKeyKind[] kinds, Route route)
    {
        for (int k = 0; k < keys.Length; k++)
        {
            if (kinds[k] is not (MergeKeyKind.Text or MergeKeyKind.Bpchar))
            {
                continue;
            }

            if (keys[k].Collation is { } declared && !MergeOrder.IsByteOrder(declared))
            {
                throw route.Errors.Error($"[MergeOrder] key {keys[k].Column} declares collation \"{declared}\", whose order a merge cannot reproduce; use COLLATE \"C\" here and in the function's ORDER BY", PostgresErrorCodes.FeatureNotSupported);
            }

            if (database is null)
            {
                continue;
            }

            if (keys[k].Collation is null && !MergeOrder.IsByteOrder(database.Collation))
            {
                throw route.Errors.Error(
                    $"[MergeOrder] key {keys[k].Column} is text, ordered by database {cursor.Database}'s collation \"{database.Collation}\", which a merge cannot reproduce exactly; declare COLLATE \"C\" in [MergeOrder] and in the function's ORDER BY",
                    PostgresErrorCodes.FeatureNotSupported);
            }

            if (database.Encoding is not ("UTF8" or "SQL_ASCII" or "LATIN1"))
            {
                throw route.Errors.Error(
                    $"[MergeOrder] key {keys[k].Column} is text in database {cursor.Database}, whose encoding {database.Encoding} orders its bytes otherwise than its characters, which a merge cannot reproduce exactly; order by convert_to({keys[k].Column}, '{database.Encoding}') returned as a bytea key instead",
                    PostgresErrorCodes.FeatureNotSupported);
            }
        }
    }

    // How a database orders text, read from its catalog and kept for the pool (a standby, a copy of its primary, orders alike).
    private static async Task<TextOrder> TextOrderOfAsync(NpgsqlDataSource catalog, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await IdleConnectionCheck.OpenAsync(catalog, cancellationToken).ConfigureAwait(false);
        // An ICU database keeps "C" in datcollate while ICU orders its text: the provider decides.
        await using var command = new NpgsqlCommand(
            "select case when datlocprovider = 'i' then 'icu ' || coalesce(daticulocale, '') else datcollate::text end, pg_catalog.pg_encoding_to_char(encoding)::text from pg_catalog.pg_database where datname = current_database()",
            connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var order = new TextOrder(reader.GetString(0), reader.GetString(1));
        TextOrders.AddOrUpdate(catalog, order);
        return order;
    }

    // An enum's labels and their places in its declared order, as Npgsql loaded the database's types (no round trip:
    // the merge's statement holds the connection); none when the column is no enum.
    private static Dictionary<string, int> EnumLabels(DbDataReader reader, int ordinal)
    {
        var labels = new Dictionary<string, int>(StringComparer.Ordinal);
        if (reader is NpgsqlDataReader npgsql && npgsql.GetPostgresType(ordinal) is PostgresEnumType enumType)
        {
            foreach (string label in enumType.Labels)
            {
                labels.Add(label, labels.Count);
            }
        }

        return labels;
    }

    private static object?[] Keys(PartitionCursor cursor, int[] ordinals, MergeKeyKind[] kinds, Dictionary<string, int>?[] labels, Route route, PartitionCursor?[] cursors)
    {
        var values = new object?[ordinals.Length];
        for (int k = 0; k < ordinals.Length; k++)
        {
            try
            {
                values[k] = PgOrder.Read(cursor.Reader!, ordinals[k], kinds[k], labels[k]);
            }
            catch (InvalidOperationException e) when (kinds[k] == MergeKeyKind.Enum)
            {
                // A label added to the enum since the pools loaded their types: they load them again once this call has
                // let its connections go, and the next call orders the new label where the type declares it.
                foreach (NpgsqlDataSource pool in cursors.OfType<PartitionCursor>().Select(c => c.DataSource).Distinct())
                {
                    _ = ReloadTypesAsync(pool);
                }

                throw route.Errors.Error($"[MergeOrder] {e.Message}", PostgresErrorCodes.DataException, e);
            }
        }

        return values;
    }

    private static async Task ReloadTypesAsync(NpgsqlDataSource pool)
    {
        try
        {
            await pool.ReloadTypesAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or ObjectDisposedException or TimeoutException)
        {
            // The next unknown label tries again.
        }
    }

    // The order of two databases' current rows: key by key, NULLs where the key puts them, DESC reversing the rest.
    private static int CompareHeads(object?[] x, object?[] y, MergeKey[] keys, MergeKeyKind[] kinds)
    {
        for (int k = 0; k < keys.Length; k++)
        {
            object? a = x[k];
            object? b = y[k];
            int c;
            if (a is null || b is null)
            {
                c = a is null && b is null ? 0 : (a is null) == keys[k].NullsFirst ? -1 : 1;
            }
            else
            {
                c = PgOrder.Compare(a, b, kinds[k]);
                c = keys[k].Descending ? -c : c;
            }

            if (c != 0)
            {
                return c;
            }
        }

        return 0;
    }

    // How a database orders text: its collation (or ICU's) and its encoding.
    private sealed record TextOrder(string Collation, string Encoding);
}

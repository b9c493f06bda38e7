using Npgsql;
using NpgsqlTypes;

namespace PlProxy.Client.Tests.Hashing;

/// <summary>Asks a live PostgreSQL server for hashes of many values in one round trip each.</summary>
internal sealed class PostgresHashOracle(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Evaluates <paramref name="function"/> over every element of <paramref name="values"/> (sent as one array
    /// parameter of <paramref name="arrayType"/>) and returns the results in input order.
    /// </summary>
    public async Task<TResult[]> EvaluateAsync<TValue, TResult>(string function, TValue[] values, NpgsqlDbType arrayType, string extraArguments = "", string valueExpression = "v")
    {
        string sql =
            $"select coalesce(array_agg({function}({valueExpression}{extraArguments}) order by i), '{{}}') " +
            "from unnest(@values) with ordinality as t(v, i)";
        await using NpgsqlCommand command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter("values", NpgsqlDbType.Array | arrayType) { Value = values });
        object? result = await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
        return (TResult[])result!;
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}

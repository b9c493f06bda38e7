using System.Text;
using PlProxy.Client.Language;

namespace PlProxy.Client.Planning;

/// <summary>
/// The SQL a call sends to its partitions, as PL/Proxy's <c>query.c</c> builds it: the body's SELECT when it has one,
/// else a call of the remote function with every argument cast to its declared type.
/// </summary>
internal static class RemoteQuery
{
    /// <summary>The SQL and, for each placeholder <c>$k</c> in it, the index of the argument it carries.</summary>
    /// <param name="function">The bound body.</param>
    /// <param name="parameterTypes">The declared PostgreSQL type of each argument.</param>
    /// <param name="resultPgType">The PostgreSQL type of a scalar result; null for a composite (columns by name) or void result.</param>
    /// <param name="isVoid">True when the call returns nothing.</param>
    public static (string Sql, int[] ParameterOrder) Of(BoundFunction function, string[] parameterTypes, string? resultPgType, bool isVoid)
    {
        if (function.Select is { } select)
        {
            return (select.Sql, [.. select.ParameterIndexes]);
        }

        string remoteName = function.Target ?? function.Signature.Name;
        var arguments = new StringBuilder();
        for (int i = 0; i < parameterTypes.Length; i++)
        {
            arguments.Append(i == 0 ? "" : ", ").Append('$').Append(i + 1).Append("::").Append(parameterTypes[i]);
        }

        // PL/Proxy's default query: the function's own result, cast to the proxy's type; columns by name for a
        // composite. A single scalar is called in the select list (same rows, NULL included, and the server can
        // inline a SQL function there instead of materialising a function scan).
        string sql = isVoid ? $"select {remoteName}({arguments})"
            : resultPgType is null ? $"select * from {remoteName}({arguments})"
            : function.Signature.ReturnsSet ? $"select r::{resultPgType} from {remoteName}({arguments}) r"
            : $"select {remoteName}({arguments})::{resultPgType} as r";
        return (sql, [.. Enumerable.Range(0, parameterTypes.Length)]);
    }
}

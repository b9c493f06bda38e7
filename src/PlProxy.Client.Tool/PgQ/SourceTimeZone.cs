using Npgsql;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.PgQ;

/// <summary>
/// The time zone of the source database's sessions (its <c>TimeZone</c>: the database's, or the server's), read once
/// when first needed: SkyTools' dispatchers read an event's time and a batch's end there, so the day they file a row
/// under is that zone's, not UTC's.
/// </summary>
internal sealed class SourceTimeZone(NpgsqlDataSource source)
{
    private TimeZoneInfo? _zone;

    /// <summary>The moment <paramref name="utc"/> on the source's clock.</summary>
    /// <exception cref="ToolRefusal">The source's time zone is one this machine does not know.</exception>
    public async ValueTask<DateTime> LocalAsync(DateTime utc, CancellationToken cancellationToken)
    {
        if (_zone is null)
        {
            await using NpgsqlCommand zone = source.CreateCommand("select pg_catalog.current_setting('TimeZone')");
            string name = (string)(await zone.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            _zone = TimeZoneInfo.TryFindSystemTimeZoneById(name, out TimeZoneInfo? found) ? found
                : throw new ToolRefusal($"The source database's TimeZone is '{name}', which this machine does not know, so the day of an event's time cannot be told as the source tells it: set the database's timezone to a zone name (alter database ... set timezone = 'Europe/Tallinn'); nothing was applied.");
        }

        return TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), _zone);
    }
}

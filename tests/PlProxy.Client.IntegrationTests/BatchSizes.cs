using System.Diagnostics.Metrics;
using PlProxy.Client.Telemetry;

namespace PlProxy.Client.IntegrationTests;

/// <summary>The largest round trip to databases whose name starts with a prefix (on one server port, if given), seen while it listens.</summary>
internal sealed class BatchSizes : IDisposable
{
    private readonly MeterListener _listener = new();
    private int _largest;

    public BatchSizes(string databasePrefix, int? port = null)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == TelemetryNames.SourceName && instrument.Name == TelemetryNames.BatchSize)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((_, size, tags, _) =>
        {
            bool database = false, server = port is null;
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                database |= tag.Key == TelemetryNames.DbNamespace && tag.Value is string name && name.StartsWith(databasePrefix, StringComparison.Ordinal);
                server |= tag.Key == TelemetryNames.ServerPort && Equals(tag.Value, port);
            }

            int largest;
            while (database && server && size > (largest = Volatile.Read(ref _largest)) && Interlocked.CompareExchange(ref _largest, size, largest) != largest)
            {
            }
        });
        _listener.Start();
    }

    public int Largest => Volatile.Read(ref _largest);

    public void Dispose() => _listener.Dispose();
}

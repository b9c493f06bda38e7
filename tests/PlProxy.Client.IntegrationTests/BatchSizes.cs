using System.Diagnostics.Metrics;
using PlProxy.Client.Telemetry;

namespace PlProxy.Client.IntegrationTests;

/// <summary>The largest round trip to databases whose name starts with a prefix, seen while it listens.</summary>
internal sealed class BatchSizes : IDisposable
{
    private readonly MeterListener _listener = new();
    private int _largest;

    public BatchSizes(string databasePrefix)
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
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == TelemetryNames.DbNamespace && tag.Value is string database && database.StartsWith(databasePrefix, StringComparison.Ordinal))
                {
                    int largest;
                    while (size > (largest = Volatile.Read(ref _largest)) && Interlocked.CompareExchange(ref _largest, size, largest) != largest)
                    {
                    }
                }
            }
        });
        _listener.Start();
    }

    public int Largest => Volatile.Read(ref _largest);

    public void Dispose() => _listener.Dispose();
}

using System.Diagnostics;

namespace PlProxy.Client.IntegrationTests;

/// <summary>Every PlProxy.Client activity that ends while it listens, as text: name, status, tags and events.</summary>
internal sealed class ActivityCapture : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly List<string> _activities = [];

    public ActivityCapture()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "PlProxy.Client",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                string text = $"{activity.DisplayName} {activity.Status} {activity.StatusDescription} "
                    + string.Join(" ", activity.TagObjects.Select(t => $"{t.Key}={t.Value}")) + " "
                    + string.Join(" ", activity.Events.Select(e => e.Name + " " + string.Join(" ", e.Tags.Select(t => $"{t.Key}={t.Value}"))));
                lock (_activities)
                {
                    _activities.Add(text);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public IReadOnlyList<string> Activities
    {
        get
        {
            lock (_activities)
            {
                return [.. _activities];
            }
        }
    }

    public void Dispose() => _listener.Dispose();
}

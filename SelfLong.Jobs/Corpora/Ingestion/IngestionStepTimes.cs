using System.Collections.Concurrent;
using System.Diagnostics;
using SelfLong.Jobs.Telemetry;

namespace SelfLong.Jobs.Corpora.Ingestion;

/// <summary>
/// The seconds of each ingestion step, read from <see cref="IngestionSteps"/>' spans while it
/// listens (in this process): `bench corpus` reports them for each ingest run.
/// </summary>
public sealed class IngestionStepTimes : IDisposable
{
    private readonly ConcurrentDictionary<string, double> seconds = new();
    private readonly ActivityListener listener;

    public IngestionStepTimes()
    {
        const string Prefix = IngestionSteps.Kind + " ";
        listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == JobTracing.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = span =>
            {
                if (span.DisplayName.StartsWith(Prefix, StringComparison.Ordinal))
                    seconds.AddOrUpdate(span.DisplayName[Prefix.Length..], span.Duration.TotalSeconds, (_, sum) => sum + span.Duration.TotalSeconds);
            },
        };
        ActivitySource.AddActivityListener(listener);
    }

    /// <summary>Seconds by step, summed over the steps seen so far.</summary>
    public IReadOnlyDictionary<string, double> Seconds => seconds;

    public void Dispose() => listener.Dispose();
}

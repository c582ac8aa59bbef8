using Hangfire;
using SelfLong.Jobs.Hosting;

namespace SelfLong.Jobs.Synthesis;

/// <summary>Where per-sample work goes: Hangfire's synthesis queue in the app, a direct call in tests.</summary>
public interface ISampleJobQueue
{
    void Enqueue(long runId, int index);

    /// <summary>Runs the sample again after <paramref name="delay"/> (a failed sample's next attempt).</summary>
    void Schedule(long runId, int index, TimeSpan delay);

    /// <summary>
    /// The process that runs these jobs itself (<see cref="Runs.RunHere.Marker"/>), kept on the run
    /// so the reaper leaves a live one alone; null when any worker may run them.
    /// </summary>
    string? Owner => null;
}

public sealed class HangfireSampleJobQueue(IBackgroundJobClient jobs) : ISampleJobQueue
{
    public void Enqueue(long runId, int index) =>
        jobs.Enqueue<SynthesisSampleJob>(job => job.RunAsync(runId, index, CancellationToken.None));

    public void Schedule(long runId, int index, TimeSpan delay) =>
        jobs.Schedule<SynthesisSampleJob>(job => job.RunAsync(runId, index, CancellationToken.None), delay);
}

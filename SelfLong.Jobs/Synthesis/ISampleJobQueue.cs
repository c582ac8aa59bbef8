using Hangfire;
using SelfLong.Jobs.Hosting;

namespace SelfLong.Jobs.Synthesis;

/// <summary>Where per-sample work goes: Hangfire's synthesis queue in the app, a direct call in tests.</summary>
public interface ISampleJobQueue
{
    void Enqueue(long runId, int index);
}

public sealed class HangfireSampleJobQueue(IBackgroundJobClient jobs) : ISampleJobQueue
{
    public void Enqueue(long runId, int index) =>
        jobs.Enqueue<SynthesisSampleJob>(job => job.RunAsync(runId, index, CancellationToken.None));
}

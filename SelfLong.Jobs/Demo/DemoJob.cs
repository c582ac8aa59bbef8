using Hangfire;
using SelfLong.Jobs.Hosting;

namespace SelfLong.Jobs.Demo;

/// <summary>Hangfire shell around <see cref="DemoPipeline"/>.</summary>
public sealed class DemoJob(DemoPipeline pipeline)
{
    // The demo waits on ingest, synthesis, training and evaluation jobs: it must not hold a worker
    // those need, so the in-process server runs it beside them (WorkerCount >= 2).
    [Queue(JobQueues.Default)]
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(long demoId, CancellationToken ct) => pipeline.RunAsync(demoId, report: null, ct);
}

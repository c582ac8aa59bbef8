using Hangfire;
using SelfLong.Jobs.Hosting;

namespace SelfLong.Jobs.Synthesis;

/// <summary>
/// Hangfire shell for one sample. Model calls retry inside <see cref="Endpoints.LlmClient"/>; a sample
/// that still fails is recorded as failed (resume retries it), so Hangfire itself does not retry.
/// A worker killed mid-sample leaves the job to Hangfire's re-queue, and the unique (run, index)
/// makes a second completion a no-op.
/// </summary>
public sealed class SynthesisSampleJob(SynthesisExecutor executor)
{
    [Queue(JobQueues.Synthesis)]
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(long runId, int index, CancellationToken ct) => executor.RunSampleAsync(runId, index, ct);
}

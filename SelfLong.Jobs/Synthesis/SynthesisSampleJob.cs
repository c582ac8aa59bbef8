using Hangfire;
using SelfLong.Jobs.Hosting;

namespace SelfLong.Jobs.Synthesis;

/// <summary>
/// Hangfire shell for one sample. Model calls retry inside <see cref="Endpoints.LlmClient"/>; a sample
/// that still fails is recorded as failed and retried later by the executor itself
/// (SelfLong:Synthesis:SampleAttempts). What escapes the executor is what it could not record: the
/// database was away (stopped, restarted, unreachable). Hangfire tries such a job again after a
/// wait, so a sample is not lost to a database outage. A worker killed mid-sample leaves the job to
/// Hangfire's re-queue, and the unique (run, index) makes a second completion a no-op.
/// </summary>
public sealed class SynthesisSampleJob(SynthesisExecutor executor)
{
    [Queue(JobQueues.Synthesis)]
    [AutomaticRetry(Attempts = 6, DelaysInSeconds = [10, 30, 60, 120, 300, 600])]
    public Task RunAsync(long runId, int index, CancellationToken ct) => executor.RunSampleAsync(runId, index, ct);
}

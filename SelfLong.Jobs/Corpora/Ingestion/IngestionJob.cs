using Hangfire;
using SelfLong.Jobs.Hosting;

namespace SelfLong.Jobs.Corpora.Ingestion;

/// <summary>Hangfire shell around <see cref="IngestionPipeline"/> on the ingest queue.</summary>
public sealed class IngestionJob(IngestionPipeline pipeline)
{
    [Queue(JobQueues.Ingest)]
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(long runId, CancellationToken ct)
    {
        try
        {
            await pipeline.RunAsync(runId, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The worker is stopping: Hangfire requeues the job, and the run resumes with the
            // files not yet done (documents already stored are skipped as duplicates).
            await pipeline.InterruptedAsync(runId);
            throw;
        }
        catch (Exception ex)
        {
            await pipeline.FailAsync(runId, ex);
            throw;
        }
    }
}

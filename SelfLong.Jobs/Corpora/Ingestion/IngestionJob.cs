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
            // Deleted from the dashboard or the process is stopping: the row keeps what was committed.
            await pipeline.FailAsync(runId, new OperationCanceledException("Stopped before the end; the documents stored so far are kept."));
        }
        catch (Exception ex)
        {
            await pipeline.FailAsync(runId, ex);
            throw;
        }
    }
}

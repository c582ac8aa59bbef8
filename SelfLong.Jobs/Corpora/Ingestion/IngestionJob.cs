using Hangfire;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Corpora;
using SelfLong.Jobs.Hosting;
using SelfLong.Jobs.Progress;
using SelfLong.Jobs.Runs;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.Corpora.Ingestion;

/// <summary>
/// An ingestion run on the ingest queue, through the one run lifecycle (<see cref="RunJobShell"/>).
/// A worker that stops leaves it queued; its job comes back and goes on with the files not yet done
/// (documents already stored are skipped as duplicates).
/// </summary>
public sealed class IngestionJob(RunJobShell shell, IngestionPipeline pipeline, UploadStore uploads)
{
    [Queue(JobQueues.Ingest)]
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(long runId, CancellationToken ct) => shell.RunAsync(runId, new Work(pipeline, uploads), ct);

    private sealed class Work(IngestionPipeline pipeline, UploadStore uploads) : IRunWork<IngestionRun>
    {
        public (string Feature, long Key) ProgressOf(IngestionRun run) => (ProgressFeatures.Corpus, run.CorpusId);

        public Task<RunEnd> RunAsync(IngestionRun run, CancellationToken ct) => pipeline.IngestAsync(run.Id, ct);

        public async Task EndingAsync(SelfLongDbContext db, IngestionRun run, RunEnd? end)
        {
            if (end is not { } ended) return;
            await db.Entry(run).Collection(r => r.FileList).LoadAsync(CancellationToken.None);
            if (ended.Status == RunStatus.Failed)
            {
                foreach (var file in run.FileList.Where(f => f.Status == IngestionFileStatus.Running))
                {
                    file.Status = IngestionFileStatus.Failed;
                    file.Message = ended.Message;
                }
            }
            // The run is over (nothing resumes it): the uploads it did not get to are removed too.
            await uploads.RemoveAsync(run.FileList);
        }
    }
}

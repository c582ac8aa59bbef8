using SelfLong.Jobs.Runs;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Corpora;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.Corpora.Ingestion;

/// <summary>
/// A file handed to a new ingestion run: a server file it only reads (<c>StoredPath</c>) or an upload
/// in the database (<c>UploadId</c>); <c>Refused</c> carries the reason an upload was not kept.
/// </summary>
public sealed record IngestionInput(string FileName, string? StoredPath, long SizeBytes, Guid? UploadId = null, string? Refused = null);

/// <summary>Starts, reads and cancels ingestion runs.</summary>
public sealed class IngestionService(IDbContextFactory<SelfLongDbContext> dbFactory, IBackgroundJobClient jobs, UploadStore uploads)
{
    /// <summary>Records the run and its files and enqueues the job on the ingest queue.</summary>
    /// <param name="enqueue">False records the run only, for a caller that runs the pipeline itself (the CLI).</param>
    public async Task<IngestionRun> StartAsync(long corpusId, IReadOnlyList<IngestionInput> inputs, bool enqueue = true, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = new IngestionRun { CorpusId = corpusId, Files = inputs.Count };
        foreach (var input in inputs)
        {
            run.FileList.Add(new IngestionFile
            {
                FileName = input.FileName,
                StoredPath = input.Refused is null ? input.StoredPath : null,
                UploadId = input.Refused is null ? input.UploadId : null,
                SizeBytes = input.SizeBytes,
                Message = input.Refused,
            });
        }
        // Worked on here (a command-line verb) or by a Hangfire job: the run names which, for RunReaper.
        run.HangfireJobId = enqueue ? null : Runs.RunHere.Marker;
        db.IngestionRuns.Add(run);
        await db.SaveChangesAsync(ct);
        if (!enqueue) return run;
        run.HangfireJobId = jobs.Enqueue<IngestionJob>(job => job.RunAsync(run.Id, CancellationToken.None));
        await db.SaveChangesAsync(ct);
        return run;
    }

    public async Task<IngestionRun?> FindAsync(long runId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.IngestionRuns.AsNoTracking()
            .Include(r => r.FileList.OrderBy(f => f.Id)).ThenInclude(f => f.Issues.OrderBy(i => i.Id).Take(50))
            .AsSplitQuery()
            .SingleOrDefaultAsync(r => r.Id == runId, ct);
    }

    public async Task<List<IngestionRun>> RecentAsync(long corpusId, int count, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.IngestionRuns.AsNoTracking().Where(r => r.CorpusId == corpusId).OrderByDescending(r => r.Id).Take(count)
            .Include(r => r.FileList.OrderBy(f => f.Id)).ThenInclude(f => f.Issues.OrderBy(i => i.Id).Take(20))
            .AsSplitQuery().ToListAsync(ct);
    }

    /// <summary>Asks the run to stop after the batch in hand; a queued run stops at once.</summary>
    public async Task<bool> CancelAsync(long runId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var run = await db.IngestionRuns.Include(r => r.FileList).SingleOrDefaultAsync(r => r.Id == runId, ct);
        var wasQueued = run?.Status == RunStatus.Queued;
        if (run is null || !RunControl.RequestCancel(run, jobs)) return false;
        await db.SaveChangesAsync(ct);
        if (wasQueued) await uploads.RemoveAsync(run.FileList);
        return true;
    }
}

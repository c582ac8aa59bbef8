using Hangfire;
using Hangfire.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SelfLong.Data;
using SelfLong.Data.Corpora;
using SelfLong.Data.Evaluation;
using SelfLong.Data.Training;
using SelfLong.Jobs.Corpora.Ingestion;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Training;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.Runs;

/// <summary>
/// Puts right runs whose job was lost, so that none stays "Queued" or "Running" for good. A run
/// queued for over <see cref="Grace"/> with no job (its process died between saving the row and
/// enqueuing) gets its job; a queued or running run whose Hangfire job has ended or vanished
/// (deleted in the dashboard, expired, or failed before the run could record it) is dispatched
/// again: ingestion, training and evaluation all continue from their last durable point. A worker
/// killed mid-job needs no help here: Hangfire hands its job to another worker once the job's
/// invisibility timeout passes. Every worker process sweeps; a conditional update lets one win.
/// </summary>
public sealed class RunReaper(IDbContextFactory<SelfLongDbContext> dbFactory, JobStorage storage, IBackgroundJobClient jobs,
    ILogger<RunReaper> logger) : BackgroundService
{
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan Every = TimeSpan.FromMinutes(1);
    private const string Lost = "Its job was lost; dispatched again, continuing where it stopped.";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepAsync(DateTimeOffset.UtcNow - Grace, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Run sweep failed ({Error}); trying again in a minute.", e.Message);
            }
            await Task.Delay(Every, stoppingToken);
        }
    }

    /// <summary>One sweep over runs created before <paramref name="createdBefore"/>; returns how many were dispatched again.</summary>
    public async Task<int> SweepAsync(DateTimeOffset createdBefore, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var redone = 0;
        foreach (var r in await db.IngestionRuns.Where(r => (r.Status == RunStatus.Queued || r.Status == RunStatus.Running) && r.CreatedAt < createdBefore)
                     .Select(r => new { r.Id, r.HangfireJobId }).ToListAsync(ct))
        {
            if (!IsLost(r.HangfireJobId)) continue;
            var claim = Claim();
            if (await db.IngestionRuns.Where(x => x.Id == r.Id && x.HangfireJobId == r.HangfireJobId)
                    .ExecuteUpdateAsync(x => x.SetProperty(p => p.HangfireJobId, claim).SetProperty(p => p.Message, Lost), ct) != 1) continue;
            var job = jobs.Enqueue<IngestionJob>(j => j.RunAsync(r.Id, CancellationToken.None));
            await db.IngestionRuns.Where(x => x.Id == r.Id && x.HangfireJobId == claim).ExecuteUpdateAsync(x => x.SetProperty(p => p.HangfireJobId, job), ct);
            redone++;
        }
        foreach (var r in await db.TrainingRuns.Where(r => (r.Status == RunStatus.Queued || r.Status == RunStatus.Running) && r.CreatedAt < createdBefore)
                     .Select(r => new { r.Id, r.HangfireJobId }).ToListAsync(ct))
        {
            if (!IsLost(r.HangfireJobId)) continue;
            var claim = Claim();
            if (await db.TrainingRuns.Where(x => x.Id == r.Id && x.HangfireJobId == r.HangfireJobId)
                    .ExecuteUpdateAsync(x => x.SetProperty(p => p.HangfireJobId, claim).SetProperty(p => p.Message, Lost), ct) != 1) continue;
            var job = jobs.Enqueue<TrainingJob>(j => j.RunAsync(r.Id, true, CancellationToken.None));
            await db.TrainingRuns.Where(x => x.Id == r.Id && x.HangfireJobId == claim).ExecuteUpdateAsync(x => x.SetProperty(p => p.HangfireJobId, job), ct);
            redone++;
        }
        foreach (var r in await db.EvaluationRuns.Where(r => (r.Status == RunStatus.Queued || r.Status == RunStatus.Running) && !r.Imported && r.CreatedAt < createdBefore)
                     .Select(r => new { r.Id, r.HangfireJobId }).ToListAsync(ct))
        {
            if (!IsLost(r.HangfireJobId)) continue;
            var claim = Claim();
            if (await db.EvaluationRuns.Where(x => x.Id == r.Id && x.HangfireJobId == r.HangfireJobId)
                    .ExecuteUpdateAsync(x => x.SetProperty(p => p.HangfireJobId, claim).SetProperty(p => p.Message, Lost), ct) != 1) continue;
            var job = jobs.Enqueue<EvaluationJob>(j => j.RunAsync(r.Id, CancellationToken.None));
            await db.EvaluationRuns.Where(x => x.Id == r.Id && x.HangfireJobId == claim).ExecuteUpdateAsync(x => x.SetProperty(p => p.HangfireJobId, job), ct);
            redone++;
        }
        if (redone > 0) logger.LogWarning("Dispatched {Count} run(s) again whose job was lost.", redone);
        return redone;
    }

    /// <summary>Taken by this sweep: a conditional update on the old job id lets one process win, and only it enqueues.</summary>
    private static string Claim() => $"claim:{Guid.NewGuid():N}";

    /// <summary>No job, or one that will never run again while the run still waits for it.</summary>
    private bool IsLost(string? jobId)
    {
        if (jobId is null) return true;
        if (RunHere.Owner(jobId) is { } owner) return !owner.Alive;
        // Another sweep's claim that never got its job (that process died in between).
        if (jobId.StartsWith("claim:", StringComparison.Ordinal)) return true;
        using var connection = storage.GetConnection();
        return connection.GetJobData(jobId)?.State is null or "Succeeded" or "Failed" or "Deleted";
    }
}

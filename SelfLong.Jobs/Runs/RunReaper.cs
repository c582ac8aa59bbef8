using System.Linq.Expressions;
using Hangfire;
using Hangfire.Common;
using Hangfire.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SelfLong.Data;
using SelfLong.Data.Runs;
using SelfLong.Jobs.Corpora.Ingestion;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Hosting;
using SelfLong.Jobs.ModelCalls;
using SelfLong.Jobs.Synthesis;
using SelfLong.Jobs.Training;

namespace SelfLong.Jobs.Runs;

/// <summary>
/// Puts right runs whose job was lost, so that none stays "Queued" or "Running" for good. A run
/// queued for over <see cref="Grace"/> with no job (its process died between saving the row and
/// enqueuing) gets its job; a queued or running run whose Hangfire job has ended or vanished
/// (deleted in the dashboard, expired, or failed before the run could record it) is dispatched
/// again: ingestion, training and evaluation all continue from their last durable point. A
/// synthesis run has a job per sample rather than one per run: a running one with no live sample
/// job and no sample stored for a while gets its waiting samples sent again (see
/// <see cref="SweepSynthesisAsync"/>; a sample job left "Processing" on a server that stopped beating
/// does not count as live). A worker killed mid-job needs no other help: Hangfire hands its job to
/// another worker once the job's invisibility timeout passes. Every worker process sweeps;
/// a conditional update (an advisory lock for synthesis) lets one win.
/// </summary>
public sealed class RunReaper(IDbContextFactory<SelfLongDbContext> dbFactory, JobStorage storage, IBackgroundJobClient jobs,
    SynthesisRunService synthesis, SynthesisExecutor samples, IOptions<ModelCallOptions> calls, ILogger<RunReaper> logger) : BackgroundService
{
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan Every = TimeSpan.FromMinutes(1);
    private const string Lost = "Its job was lost; dispatched again, continuing where it stopped.";
    private const int SynthesisLockKey = 7302;

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
        var redone = await SweepAsync(db.IngestionRuns, _ => true, id => jobs.Enqueue<IngestionJob>(j => j.RunAsync(id, CancellationToken.None)), createdBefore, ct)
            // A run trained outside SelfLong has no job to lose: the follow job reads its trainer's output.
            + await SweepAsync(db.TrainingRuns, r => !r.External, id => jobs.Enqueue<TrainingJob>(j => j.RunAsync(id, true, CancellationToken.None)), createdBefore, ct)
            + await SweepAsync(db.EvaluationRuns, r => !r.Imported, id => jobs.Enqueue<EvaluationJob>(j => j.RunAsync(id, CancellationToken.None)), createdBefore, ct)
            + await SweepSynthesisAsync(db, createdBefore, ct);
        if (redone > 0) logger.LogWarning("Dispatched {Count} run(s) again whose job was lost.", redone);
        return redone;
    }

    /// <summary>The runs of one job-worked kind (<paramref name="of"/> narrows it) whose job is lost, each enqueued again by <paramref name="enqueue"/>.</summary>
    private async Task<int> SweepAsync<T>(DbSet<T> runs, Expression<Func<T, bool>> of, Func<long, string> enqueue, DateTimeOffset createdBefore, CancellationToken ct)
        where T : class, IJobRun
    {
        var redone = 0;
        foreach (var r in await runs.Where(of).Where(r => (r.Status == RunStatus.Queued || r.Status == RunStatus.Running) && r.CreatedAt < createdBefore)
                     .Select(r => new { r.Id, r.HangfireJobId }).ToListAsync(ct))
        {
            if (!IsLost(r.HangfireJobId)) continue;
            var claim = Claim();
            if (await runs.Where(x => x.Id == r.Id && x.HangfireJobId == r.HangfireJobId)
                    .ExecuteUpdateAsync(x => x.SetProperty(p => p.HangfireJobId, claim).SetProperty(p => p.Message, Lost), ct) != 1) continue;
            var job = enqueue(r.Id);
            await runs.Where(x => x.Id == r.Id && x.HangfireJobId == claim).ExecuteUpdateAsync(x => x.SetProperty(p => p.HangfireJobId, job), ct);
            redone++;
        }
        return redone;
    }

    /// <summary>
    /// Running synthesis runs that stored no sample for the model-call down limit past
    /// <paramref name="createdBefore"/> (a sample may rightly take that long while its endpoint is
    /// retried) and have no sample job enqueued, scheduled or processing: their waiting samples are
    /// sent again, or the run completes if none waits (its last job died before completing it).
    /// A run worked in a command-line process has no jobs either: it is left alone while that
    /// process lives (as job-worked runs are, <see cref="RunHere"/>), and its samples are stored
    /// once, whoever finishes them.
    /// </summary>
    private async Task<int> SweepSynthesisAsync(SelfLongDbContext db, DateTimeOffset createdBefore, CancellationToken ct)
    {
        var quietSince = createdBefore - calls.Value.DownLimit;
        var quiet = (await db.SynthesisRuns
            .Where(r => r.Status == RunStatus.Running && r.CreatedAt < createdBefore
                && !db.SynthesisSamples.Any(s => s.RunId == r.Id && s.CreatedAt >= quietSince))
            .Select(r => new { r.Id, r.WorkedHere }).ToListAsync(ct))
            .Where(r => r.WorkedHere is null || RunHere.Owner(r.WorkedHere) is not { Alive: true })
            .Select(r => r.Id).ToList();
        if (quiet.Count == 0) return 0;
        var live = RunsWithSampleJobs(quiet);
        var redone = 0;
        foreach (var id in quiet.Where(id => !live.Contains(id)))
        {
            // One sweeping process at a time per run; another finds the jobs live on its next sweep.
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            if (!await db.Database.SqlQuery<bool>($"SELECT pg_try_advisory_xact_lock({SynthesisLockKey}, {(int)id}) AS \"Value\"").SingleAsync(ct)) continue;
            if (RunsWithSampleJobs([id]).Count > 0) continue;
            var sent = await synthesis.RedispatchAsync(id, ct);
            if (sent == 0) await samples.TryCompleteAsync(id);
            else logger.LogWarning("Synthesis run {Run} had no sample job left: {Count} sample(s) sent again.", id, sent);
            await transaction.CommitAsync(ct);
            redone++;
        }
        return redone;
    }

    /// <summary>How long a Hangfire server may go without a heartbeat (sent every 30 s) before its jobs count as abandoned.</summary>
    public static readonly TimeSpan ServerSilence = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Which of <paramref name="runIds"/> have a sample job being processed by a live server, scheduled (a retry) or enqueued.
    /// A job still "Processing" on a server that stopped beating (its worker was killed mid-sample) is not live:
    /// Hangfire hands it to another worker once its invisibility timeout passes, but a run does not wait on that alone.
    /// </summary>
    private HashSet<long> RunsWithSampleJobs(IReadOnlyCollection<long> runIds)
    {
        const int page = 500;
        var monitor = storage.GetMonitoringApi();
        var found = new HashSet<long>();
        // Reads one page; true while a next page may hold more and some run is not found yet.
        bool More(IReadOnlyCollection<(Job? Job, bool Live)> listed)
        {
            foreach (var (job, live) in listed)
                if (live && job is { Type.Name: nameof(SynthesisSampleJob), Args: [long runId, ..] } && runIds.Contains(runId)) found.Add(runId);
            return listed.Count == page && found.Count < runIds.Count;
        }
        var beating = monitor.Servers().Where(s => s.Heartbeat is { } beat && DateTime.UtcNow - beat < ServerSilence).Select(s => s.Name).ToHashSet();
        for (var from = 0; More(monitor.ProcessingJobs(from, page).Select(j => ((Job?)j.Value.Job, beating.Contains(j.Value.ServerId))).ToList()); from += page) { }
        for (var from = 0; More(monitor.ScheduledJobs(from, page).Select(j => ((Job?)j.Value.Job, true)).ToList()); from += page) { }
        for (var from = 0; More(monitor.EnqueuedJobs(JobQueues.Synthesis, from, page).Select(j => ((Job?)j.Value.Job, true)).ToList()); from += page) { }
        return found;
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

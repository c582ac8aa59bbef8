using SelfLong.Jobs.Runs;
using System.Collections.Concurrent;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using SelfLong.Data;
using SelfLong.Data.Training;
using SelfLong.Jobs.Hosting;
using SelfLong.Jobs.Models;
using SelfLong.Jobs.Progress;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.Training;

/// <summary>
/// Runs one training run on the training queue, one run at a time across all workers (a
/// <see cref="TrainingGate"/>): a second run stays queued, its job rescheduled, until the first ends.
/// Metrics and checkpoints are written to the database about once a second (a database outage
/// delays them, loses none); a cancel request stops after a checkpoint. The same job run again,
/// after its worker died, continues from the run's newest complete checkpoint.
/// </summary>
public sealed class TrainingJob(RunJobShell shell, IDbContextFactory<SelfLongDbContext> dbFactory, Synthesis.SynthesisSampleReader synthesisSamples,
    ProgressPublisher progress, IBackgroundJobClient jobs, ILogger<TrainingJob> logger, IEnumerable<ITrainingStepObserver> observers)
{
    private static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    /// <summary>How often a run waiting for the gate looks again.</summary>
    public static readonly TimeSpan GateRetry = TimeSpan.FromSeconds(15);

    // Reported but not yet stored: kept across failed flushes so a database outage loses nothing.
    private readonly List<StepMetrics> pendingSteps = [];
    private readonly List<SavedCheckpoint> pendingCheckpoints = [];

    [Queue(JobQueues.Training)]
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(long runId, bool resume, CancellationToken ct)
    {
        await using var gate = await TrainingGate.TryEnterAsync(dbFactory, ct);
        if (gate is null)
        {
            await WaitForGateAsync(runId, resume, ct);
            return;
        }
        await shell.RunAsync(runId, new Work(this, resume), ct);
    }

    /// <summary>The trainer, its flush loop and the metrics written with the run's end.</summary>
    private sealed class Work(TrainingJob job, bool resume) : IRunWork<TrainingRun>
    {
        public (string Feature, long Key) ProgressOf(TrainingRun run) => (ProgressFeatures.Training, run.Id);

        // Set when this worker does not see the run's folder on the shared storage root: the run fails with what to fix.
        private string? unreachable;

        public async Task StartingAsync(SelfLongDbContext db, TrainingRun run, CancellationToken ct)
        {
            run.Device = TorchDevices.Preferred().type.ToString().ToLowerInvariant();
            // Checked before anything reads the folder: a resume that found no checkpoint here would forget the run's progress.
            if ((unreachable = Storage.RunFolders.Unreachable(run.OutputDirectory, run.Id)) is not null) return;
            // Run again after its worker died (Hangfire re-dispatches the same job): continue, never start over.
            var latest = ProgressiveTrainer.Latest(run.OutputDirectory)?.State;
            resume = resume || latest is not null;
            if (resume) await job.ForgetAfterCheckpointAsync(db, run, latest, ct);
        }

        public async Task<RunEnd> RunAsync(TrainingRun run, CancellationToken ct)
        {
            if (unreachable is not null) return new RunEnd(RunStatus.Failed, unreachable);
            var spec = TrainingRunSpec.FromJson(run.SpecJson);
            var steps = new ConcurrentQueue<StepMetrics>();
            var checkpoints = new ConcurrentQueue<SavedCheckpoint>();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var flushing = new CancellationTokenSource();
            var flusher = job.FlushLoopAsync(run.Id, steps, checkpoints, stop, flushing.Token);
            try
            {
                await job.TrainAsync(spec, run, steps, checkpoints, resume, stop.Token);
                return RunEnd.Succeeded();
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                return RunEnd.Cancelled("Cancelled after saving a checkpoint; Resume continues from it.");
            }
            finally
            {
                // What the trainer reported last is written with the run's end (EndingAsync).
                await flushing.CancelAsync();
                await flusher;
                job.Collect(steps, checkpoints);
            }
        }

        public Task EndingAsync(SelfLongDbContext db, TrainingRun run, RunEnd? end) => job.WriteReportedAsync(db, run);
    }

    private Task TrainAsync(TrainingRunSpec spec, TrainingRun run, ConcurrentQueue<StepMetrics> steps, ConcurrentQueue<SavedCheckpoint> checkpoints,
        bool resume, CancellationToken ct)
    {
        void Stepped(StepMetrics step)
        {
            steps.Enqueue(step);
            foreach (var observer in observers) observer.Stepped(run, step, ct);
        }
        return TrainingLauncher.RunAsync(spec, run.OutputDirectory, Stepped, checkpoints.Enqueue, resume, ct,
            DatabaseSampleSources.For(spec, synthesisSamples, dbFactory));
    }

    /// <summary>Another run holds the gate: the run stays queued and its job comes back later, holding no worker meanwhile.</summary>
    private async Task WaitForGateAsync(long runId, bool resume, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var jobId = jobs.Schedule<TrainingJob>(job => job.RunAsync(runId, resume, CancellationToken.None), GateRetry);
        await db.TrainingRuns.Where(r => r.Id == runId && r.Status == RunStatus.Queued).ExecuteUpdateAsync(r => r
            .SetProperty(x => x.HangfireJobId, jobId)
            .SetProperty(x => x.Message, "Waiting for the training run in progress to finish."), ct);
        progress.Publish(ProgressFeatures.Training, runId);
    }

    /// <summary>
    /// Metrics, checkpoint rows and truncation counts past the newest checkpoint on disk will be
    /// produced again. Its log history is reported again too: the first write stores the steps up
    /// to it that a killed worker had not stored yet, and skips the rest.
    /// </summary>
    private async Task ForgetAfterCheckpointAsync(SelfLongDbContext db, TrainingRun run, TrainerState? state, CancellationToken ct)
    {
        var step = state?.GlobalStep ?? 0;
        SetTruncation(run, state?.Truncation ?? default);
        await db.TrainingStepMetrics.Where(m => m.RunId == run.Id && m.GlobalStep > step).ExecuteDeleteAsync(ct);
        await db.TrainingCheckpoints.Where(c => c.RunId == run.Id && c.GlobalStep > step).ExecuteDeleteAsync(ct);
        pendingSteps.AddRange(state?.LogHistory.Select(s => s with { Truncation = state.Truncation }) ?? []);
        run.CurrentStep = step;
    }

    private async Task FlushLoopAsync(long runId, ConcurrentQueue<StepMetrics> steps, ConcurrentQueue<SavedCheckpoint> checkpoints, CancellationTokenSource stop, CancellationToken done)
    {
        while (!done.IsCancellationRequested)
        {
            try { await Task.Delay(FlushInterval, done); }
            catch (OperationCanceledException) { break; }
            try
            {
                if (await FlushAsync(runId, steps, checkpoints)) await stop.CancelAsync();
            }
            catch (Exception e) when (RunJobShell.IsDatabaseAway(e))
            {
                // The database is away: training goes on, and what it reported waits for the next flush.
                logger.LogWarning("Training run {Run} could not write its progress ({Error}); retrying.", runId, e.Message);
            }
        }
    }

    /// <summary>Writes what the trainer reported; returns whether a cancel was requested.</summary>
    private async Task<bool> FlushAsync(long runId, ConcurrentQueue<StepMetrics> steps, ConcurrentQueue<SavedCheckpoint> checkpoints)
    {
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        var run = await db.TrainingRuns.SingleAsync(r => r.Id == runId);
        Collect(steps, checkpoints);
        await WriteReportedAsync(db, run);
        await db.SaveChangesAsync(CancellationToken.None);
        pendingSteps.Clear();
        pendingCheckpoints.Clear();
        progress.Publish(ProgressFeatures.Training, runId);
        return run.CancelRequested;
    }

    private void Collect(ConcurrentQueue<StepMetrics> steps, ConcurrentQueue<SavedCheckpoint> checkpoints)
    {
        while (steps.TryDequeue(out var s)) pendingSteps.Add(s);
        while (checkpoints.TryDequeue(out var c)) pendingCheckpoints.Add(c);
    }

    /// <summary>
    /// Adds the reported steps and checkpoints to <paramref name="db"/>, for the caller to save. Kept
    /// pending until a save succeeds, so a database outage loses none; a step already stored (a
    /// resumed run repeats some, or a save failed after its insert) is stored once.
    /// </summary>
    private async Task WriteReportedAsync(SelfLongDbContext db, TrainingRun run)
    {
        var runId = run.Id;
        var first = pendingSteps.Count > 0 ? pendingSteps.Min(s => s.GlobalStep) : int.MaxValue;
        var stored = await db.TrainingStepMetrics.Where(m => m.RunId == runId && m.GlobalStep >= first).Select(m => m.GlobalStep).ToHashSetAsync();
        foreach (var s in pendingSteps)
        {
            if (stored.Add(s.GlobalStep))
            {
                db.TrainingStepMetrics.Add(new TrainingStepMetric
                {
                    RunId = runId, GlobalStep = s.GlobalStep, Stage = s.Stage, Loss = s.Loss, LearningRate = s.LearningRate,
                    TokensPerSecond = s.TokensPerSecond, PeakMemoryBytes = s.PeakMemoryBytes, GradNorm = s.GradNorm,
                });
            }
            run.CurrentStep = s.GlobalStep;
            run.CurrentStage = s.Stage;
            SetTruncation(run, s.Truncation);
        }
        var savedPaths = await db.TrainingCheckpoints.Where(k => k.RunId == runId).Select(k => k.Path).ToHashSetAsync();
        foreach (var c in pendingCheckpoints.Where(c => Directory.Exists(c.Path) && savedPaths.Add(c.Path)))
        {
            db.TrainingCheckpoints.Add(new TrainingCheckpoint
            {
                RunId = runId, Path = c.Path, GlobalStep = c.GlobalStep, Stage = c.Stage, StageEnd = c.StageEnd,
                RopeTheta = c.RopeTheta, MaxLength = c.MaxLength,
            });
        }
        // Periodic checkpoints removed under the run's retention setting leave the list too.
        if (pendingCheckpoints.Count > 0)
        {
            var gone = (await db.TrainingCheckpoints.Where(k => k.RunId == runId && !k.StageEnd).ToListAsync()).Where(k => !Directory.Exists(k.Path));
            db.TrainingCheckpoints.RemoveRange(gone);
        }
    }

    private static void SetTruncation(TrainingRun run, TruncationCounts counts)
    {
        run.CutSamples = counts.CutSamples;
        run.CutTokens = counts.CutTokens;
        run.TooLongSamples = counts.TooLongSamples;
    }
}

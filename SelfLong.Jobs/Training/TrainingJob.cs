using System.Collections.Concurrent;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SelfLong.Data;
using SelfLong.Data.Training;
using SelfLong.Jobs.Hosting;
using SelfLong.Jobs.Models;
using SelfLong.Jobs.Progress;

namespace SelfLong.Jobs.Training;

/// <summary>
/// Runs one training run on the training queue, one run at a time across all workers (a
/// <see cref="TrainingGate"/>): a second run waits until the first ends. Metrics and checkpoints are written
/// to the database about once a second; a cancel request stops after a checkpoint.
/// </summary>
public sealed class TrainingJob(IDbContextFactory<SelfLongDbContext> dbFactory, Synthesis.SynthesisSampleReader synthesisSamples,
    ProgressPublisher progress)
{
    private static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    [Queue(JobQueues.Training)]
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(long runId, bool resume, CancellationToken ct)
    {
        // A second run waits here, still queued, until the first ends.
        await using var gate = await TrainingGate.EnterAsync(dbFactory, ct);
        TrainingRun run;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            run = await db.TrainingRuns.SingleAsync(r => r.Id == runId, ct);
            if (run.CancelRequested)
            {
                run.Status = TrainingRunStatus.Cancelled;
                run.CompletedAt = DateTimeOffset.UtcNow;
                await db.SaveChangesAsync(ct);
                progress.Publish(ProgressFeatures.Training, runId);
                return;
            }
            run.Status = TrainingRunStatus.Running;
            run.StartedAt ??= DateTimeOffset.UtcNow;
            run.Device = TorchDevices.Preferred().type.ToString().ToLowerInvariant();
            if (resume) await ForgetAfterCheckpointAsync(db, run, ct);
            await db.SaveChangesAsync(ct);
            progress.Publish(ProgressFeatures.Training, runId);
        }

        var spec = TrainingRunSpec.FromJson(run.SpecJson);
        var steps = new ConcurrentQueue<StepMetrics>();
        var checkpoints = new ConcurrentQueue<SavedCheckpoint>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var flushing = new CancellationTokenSource();
        var flusher = FlushLoopAsync(runId, steps, checkpoints, stop, flushing.Token);
        try
        {
            await TrainingLauncher.RunAsync(spec, run.OutputDirectory, steps.Enqueue, checkpoints.Enqueue, resume, stop.Token,
                DatabaseSampleSources.For(spec, synthesisSamples, dbFactory));
            await FinishAsync(runId, steps, checkpoints, flushing, flusher, TrainingRunStatus.Succeeded, null);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            await FinishAsync(runId, steps, checkpoints, flushing, flusher, TrainingRunStatus.Cancelled,
                "Cancelled after saving a checkpoint; Resume continues from it.");
        }
        catch (Exception e)
        {
            await FinishAsync(runId, steps, checkpoints, flushing, flusher, TrainingRunStatus.Failed, e.Message);
            throw;
        }
    }

    /// <summary>Metrics, checkpoint rows and truncation counts past the newest checkpoint on disk will be produced again.</summary>
    private static async Task ForgetAfterCheckpointAsync(SelfLongDbContext db, TrainingRun run, CancellationToken ct)
    {
        var latest = ProgressiveTrainer.LatestCheckpoint(run.OutputDirectory);
        var state = latest is null ? null : TrainerState.Load(latest);
        var step = state?.GlobalStep ?? 0;
        SetTruncation(run, state?.Truncation ?? default);
        await db.TrainingStepMetrics.Where(m => m.RunId == run.Id && m.GlobalStep > step).ExecuteDeleteAsync(ct);
        await db.TrainingCheckpoints.Where(c => c.RunId == run.Id && c.GlobalStep > step).ExecuteDeleteAsync(ct);
        run.CurrentStep = step;
    }

    private async Task FlushLoopAsync(long runId, ConcurrentQueue<StepMetrics> steps, ConcurrentQueue<SavedCheckpoint> checkpoints, CancellationTokenSource stop, CancellationToken done)
    {
        while (!done.IsCancellationRequested)
        {
            try { await Task.Delay(FlushInterval, done); }
            catch (OperationCanceledException) { break; }
            if (await FlushAsync(runId, steps, checkpoints, null, null)) await stop.CancelAsync();
        }
    }

    private async Task FinishAsync(long runId, ConcurrentQueue<StepMetrics> steps, ConcurrentQueue<SavedCheckpoint> checkpoints,
        CancellationTokenSource flushing, Task flusher, TrainingRunStatus status, string? message)
    {
        await flushing.CancelAsync();
        await flusher;
        await FlushAsync(runId, steps, checkpoints, status, message);
    }

    /// <summary>Writes what the trainer reported; returns whether a cancel was requested.</summary>
    private async Task<bool> FlushAsync(long runId, ConcurrentQueue<StepMetrics> steps, ConcurrentQueue<SavedCheckpoint> checkpoints, TrainingRunStatus? status, string? message)
    {
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        var run = await db.TrainingRuns.SingleAsync(r => r.Id == runId);
        while (steps.TryDequeue(out var s))
        {
            db.TrainingStepMetrics.Add(new TrainingStepMetric
            {
                RunId = runId, GlobalStep = s.GlobalStep, Stage = s.Stage, Loss = s.Loss, LearningRate = s.LearningRate,
                TokensPerSecond = s.TokensPerSecond, PeakMemoryBytes = s.PeakMemoryBytes, GradNorm = s.GradNorm,
            });
            run.CurrentStep = s.GlobalStep;
            run.CurrentStage = s.Stage;
            SetTruncation(run, s.Truncation);
        }
        while (checkpoints.TryDequeue(out var c))
        {
            db.TrainingCheckpoints.Add(new TrainingCheckpoint
            {
                RunId = runId, Path = c.Path, GlobalStep = c.GlobalStep, Stage = c.Stage, StageEnd = c.StageEnd,
                RopeTheta = c.RopeTheta, MaxLength = c.MaxLength,
            });
        }
        if (status is { } final)
        {
            run.Status = final;
            run.Message = message;
            run.CompletedAt = DateTimeOffset.UtcNow;
        }
        await db.SaveChangesAsync(CancellationToken.None);
        progress.Publish(ProgressFeatures.Training, runId);
        return run.CancelRequested;
    }

    private static void SetTruncation(TrainingRun run, TruncationCounts counts)
    {
        run.CutSamples = counts.CutSamples;
        run.CutTokens = counts.CutTokens;
        run.TooLongSamples = counts.TooLongSamples;
    }
}

public static class TrainingExtensions
{
    public static IServiceCollection AddTraining(this IServiceCollection services) =>
        services.AddTransient<TrainingRunService>().AddTransient<TrainingJob>().AddTransient<TrainingDataReferences>();
}

using Hangfire;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Hosting;
using SelfLong.Jobs.Progress;
using SelfLong.Jobs.Runs;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.Evaluation;

/// <summary>
/// Hangfire shell around <see cref="EvaluationRunner"/>: marks the run, runs it, records how it
/// ended (Succeeded, Cancelled by the user, Failed), or leaves it queued for its job to come back
/// when the worker stops (<see cref="RunControl.Interrupt"/>), as ingestion and training do.
/// </summary>
public sealed class EvaluationJob(IDbContextFactory<SelfLongDbContext> dbFactory, EvaluationRunner runner, ProgressPublisher progress)
{
    [Queue(JobQueues.Evaluation)]
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(long runId, CancellationToken ct)
    {
        await SetAsync(runId, r => r.SetProperty(x => x.Status, RunStatus.Running)
            .SetProperty(x => x.StartedAt, DateTimeOffset.UtcNow).SetProperty(x => x.Message, (string?)null), ct);
        try
        {
            await runner.RunAsync(runId, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Only the job's own token means the worker stopped: the run waits for its job to come back.
            await using var context = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            RunControl.Interrupt(await context.EvaluationRuns.SingleAsync(r => r.Id == runId, CancellationToken.None));
            await context.SaveChangesAsync(CancellationToken.None);
            progress.Publish(ProgressFeatures.Evaluation, runId);
            throw;
        }
        catch (Exception ex)
        {
            // A timeout inside the run is a failure like any other.
            await SetAsync(runId, r => r.SetProperty(x => x.Status, RunStatus.Failed)
                .SetProperty(x => x.Message, ex.Message[..Math.Min(ex.Message.Length, 2000)]).SetProperty(x => x.CompletedAt, DateTimeOffset.UtcNow), CancellationToken.None);
            throw;
        }
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        var cancelled = await db.EvaluationRuns.Where(r => r.Id == runId).Select(r => r.CancelRequested).SingleAsync(CancellationToken.None);
        await SetAsync(runId, r => r.SetProperty(x => x.Status, cancelled ? RunStatus.Cancelled : RunStatus.Succeeded)
            .SetProperty(x => x.CompletedAt, DateTimeOffset.UtcNow), CancellationToken.None);
    }

    private async Task SetAsync(long runId,
        Action<Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder<EvaluationRun>> set, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.EvaluationRuns.Where(r => r.Id == runId).ExecuteUpdateAsync(set, ct);
        progress.Publish(ProgressFeatures.Evaluation, runId);
    }
}

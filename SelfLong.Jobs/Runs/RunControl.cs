using Hangfire;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.Runs;

/// <summary>
/// Cancel and resume, one way for every run a job works (ingestion, training, evaluation). The
/// caller loads the tracked row, applies one of these, saves, enqueues (resume) and tells open pages.
/// </summary>
public static class RunControl
{
    public const string CancelledBeforeStart = "Cancelled before it started.";
    public const string InterruptedMessage = "Interrupted (the worker stopped); it continues when a worker picks the job up again.";

    /// <summary>
    /// A queued run ends now (its job deleted; a job that starts anyway sees the flag first thing);
    /// a running one is asked to stop at its next durable point (a batch, a cell, a checkpoint).
    /// False when the run has already ended.
    /// </summary>
    public static bool RequestCancel(IJobRun run, IBackgroundJobClient jobs)
    {
        if (run.Status is not (RunStatus.Queued or RunStatus.Running)) return false;
        run.CancelRequested = true;
        if (run.Status == RunStatus.Queued)
        {
            if (run.HangfireJobId is { } job && RunHere.Owner(job) is null && !job.StartsWith("claim:", StringComparison.Ordinal)) jobs.Delete(job);
            run.Status = RunStatus.Cancelled;
            run.Message = CancelledBeforeStart;
            run.CompletedAt = DateTimeOffset.UtcNow;
        }
        return true;
    }

    /// <summary>
    /// Puts an ended run back in the queue when its status is one of <paramref name="from"/>; the
    /// caller then enqueues its job. The run continues from what it stored.
    /// </summary>
    public static bool Requeue(IJobRun run, params RunStatus[] from)
    {
        if (!from.Contains(run.Status)) return false;
        run.Status = RunStatus.Queued;
        run.CancelRequested = false;
        run.Message = null;
        run.CompletedAt = null;
        return true;
    }

    /// <summary>Records how a run ended.</summary>
    public static void End(IJobRun run, RunStatus status, string? message)
    {
        run.Status = status;
        run.Message = message;
        run.CompletedAt = DateTimeOffset.UtcNow;
    }

    /// <summary>
    /// The worker stopped mid-run (shut down, redeployed): the run waits in the queue, and its job
    /// comes back (Hangfire hands it to another worker; RunReaper if it was lost) and continues from
    /// what was stored. A user's cancel is not this: that ends the run as Cancelled.
    /// </summary>
    public static void Interrupt(IJobRun run)
    {
        run.Status = RunStatus.Queued;
        run.Message = InterruptedMessage;
        run.CompletedAt = null;
    }
}

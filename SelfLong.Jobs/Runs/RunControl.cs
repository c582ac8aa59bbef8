using System.Diagnostics;
using Hangfire;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.Runs;

/// <summary>
/// Start, cancel, pause, resume and end: one way for every run, whether one job works it
/// (ingestion, training, evaluation: <see cref="IJobRun"/>) or many at once (synthesis, a job per
/// sample). The caller loads the tracked row, applies one of these, saves, enqueues (resume) and
/// tells open pages.
/// </summary>
public static class RunControl
{
    public const string CancelledBeforeStart = "Cancelled before it started.";
    public const string CancelledByUser = "Cancelled.";
    public const string StoppedFollowing = "Cancelled: SelfLong no longer follows the trainer's output (the trainer itself is not stopped from here).";
    public const string InterruptedMessage = "Interrupted (the worker stopped); it continues when a worker picks the job up again.";

    /// <summary>
    /// The run's work starts, or starts again: Running, started now unless it ran before, the message
    /// of an earlier end cleared, and linked to this trace when one is recorded (the last traced one
    /// stays otherwise).
    /// </summary>
    public static void Start(IRun run)
    {
        run.Status = RunStatus.Running;
        run.Message = null;
        run.StartedAt ??= DateTimeOffset.UtcNow;
        run.CompletedAt = null;
        if (Activity.Current is { Recorded: true } traced) run.TraceId = traced.TraceId.ToHexString();
    }

    /// <summary>
    /// A queued run ends now (its job deleted; a job that starts anyway sees the flag first thing);
    /// a running one is asked to stop at its next durable point (a batch, a cell, a checkpoint).
    /// A run worked by many jobs ends now whatever it was doing: each of its jobs reads the run
    /// first and leaves a cancelled one alone. A run worked outside SelfLong ends now too: no job
    /// here would ever see the flag, so only the following stops. False when the run has already ended.
    /// </summary>
    /// <param name="jobs">Deletes a queued run's job (its queue slot is freed at once); without it the job still ends at its first check.</param>
    public static bool RequestCancel(IRun run, IBackgroundJobClient? jobs)
    {
        if (run is not IJobRun single)
        {
            if (run.Status is not (RunStatus.Queued or RunStatus.Running or RunStatus.Paused)) return false;
            End(run, RunStatus.Cancelled, run.Status == RunStatus.Queued ? CancelledBeforeStart : CancelledByUser);
            return true;
        }
        if (single.Status is not (RunStatus.Queued or RunStatus.Running)) return false;
        if (single.External)
        {
            End(single, RunStatus.Cancelled, single.Status == RunStatus.Queued ? CancelledBeforeStart : StoppedFollowing);
            return true;
        }
        single.CancelRequested = true;
        if (single.Status == RunStatus.Queued)
        {
            if (single.HangfireJobId is { } job && RunHere.Owner(job) is null && !job.StartsWith("claim:", StringComparison.Ordinal)) jobs?.Delete(job);
            End(single, RunStatus.Cancelled, CancelledBeforeStart);
        }
        return true;
    }

    /// <summary>
    /// Holds a run worked by many jobs: its queued jobs find it Paused and leave it alone, and a
    /// resume (<see cref="Start"/>) sends what is left again. False when it is not queued or running.
    /// </summary>
    public static bool Pause(IRun run)
    {
        if (run is IJobRun || run.Status is not (RunStatus.Queued or RunStatus.Running)) return false;
        run.Status = RunStatus.Paused;
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
    public static void End(IRun run, RunStatus status, string? message)
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

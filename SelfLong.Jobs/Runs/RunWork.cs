using SelfLong.Data;
using SelfLong.Data.Runs;

namespace SelfLong.Jobs.Runs;

/// <summary>How a run's work ended when it returned; a work that throws ends Failed (or waits, when the worker stops).</summary>
public readonly record struct RunEnd(RunStatus Status, string? Message = null)
{
    public const string CancelledByUser = "Cancelled by the user.";

    public static RunEnd Succeeded(string? message = null) => new(RunStatus.Succeeded, message);

    public static RunEnd Cancelled(string message = CancelledByUser) => new(RunStatus.Cancelled, message);
}

/// <summary>
/// The part of one run kind that <see cref="RunJobShell"/> does not do for it: the work itself and
/// what the kind adds to the row as it starts and ends. One instance serves one job invocation.
/// </summary>
public interface IRunWork<TRun> where TRun : class, IJobRun
{
    /// <summary>The progress feature and key that pages of this run listen on.</summary>
    (string Feature, long Key) ProgressOf(TRun run);

    /// <summary>Sets the kind's own fields on the tracked row as it turns Running; saved with it.</summary>
    Task StartingAsync(SelfLongDbContext db, TRun run, CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// The work, on a row already Running. Honours the user's cancel at its durable points by
    /// returning <see cref="RunEnd.Cancelled"/>; <paramref name="ct"/> is the worker stopping.
    /// </summary>
    Task<RunEnd> RunAsync(TRun run, CancellationToken ct);

    /// <summary>
    /// Adds the kind's own writes to the row's end, on the tracked row whose status is already set
    /// (<paramref name="end"/> is null when the worker stopped and the run waits for its job).
    /// Called again on a fresh context when saving fails, so it must not consume what it writes.
    /// </summary>
    Task EndingAsync(SelfLongDbContext db, TRun run, RunEnd? end) => Task.CompletedTask;
}

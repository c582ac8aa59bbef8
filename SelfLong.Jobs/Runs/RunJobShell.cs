using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;
using SelfLong.Data;
using SelfLong.Data.Runs;
using SelfLong.Jobs.Progress;
using SelfLong.Jobs.Telemetry;

namespace SelfLong.Jobs.Runs;

/// <summary>
/// The one lifecycle of a job-worked run (ingestion, training, evaluation): load the row, end it at
/// once when it was cancelled before it started, mark it Running, run the work, record how it ended
/// and rethrow a failure for the scheduler. A worker that stops leaves the run Queued for its job to
/// come back (<see cref="RunControl.Interrupt"/>). The end is written again while the database is
/// away, for a while, so a run that finished its work is not left Running by a short outage.
/// </summary>
public sealed class RunJobShell(IDbContextFactory<SelfLongDbContext> dbFactory, ProgressPublisher progress, ILogger<RunJobShell> logger)
{
    /// <summary>The longest message stored on a run (an exception's can be far longer).</summary>
    public const int MessageLimit = 2000;

    /// <summary>How long the end keeps being written while the database is away.</summary>
    public static readonly TimeSpan FinalWriteLimit = TimeSpan.FromMinutes(5);

    public async Task RunAsync<TRun>(long runId, IRunWork<TRun> work, CancellationToken ct) where TRun : class, IJobRun
    {
        // A run worked by a command-line verb has no Hangfire job around it: the span is the shell's own.
        using var span = Activity.Current is null ? JobTracing.StartRunHere(typeof(TRun).Name, runId) : null;
        TRun run;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            run = await db.Set<TRun>().SingleAsync(r => r.Id == runId, ct);
            if (run.CancelRequested)
            {
                await EndAsync(runId, work, RunEnd.Cancelled(RunControl.CancelledBeforeStart));
                return;
            }
            // The job pages link the run to this execution's trace.
            RunControl.Start(run);
            await work.StartingAsync(db, run, ct);
            await db.SaveChangesAsync(ct);
            Publish(work, run);
        }

        RunEnd end;
        try
        {
            end = await work.RunAsync(run, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Only the job's own token means the worker stopped: the run waits for its job to come back.
            await EndAsync(runId, work, null);
            throw;
        }
        catch (Exception e) when (IsDatabaseAway(e))
        {
            // The database went away under the work (stopped, restarted, failed over): nothing is wrong
            // with the run. It waits in the queue as after a stopping worker (the end is written once the
            // database is back), and RunReaper dispatches its ended job again to continue from what was stored.
            logger.LogWarning("{Kind} run {Run} stopped: the database went away ({Error}); it waits to be dispatched again.",
                typeof(TRun).Name, runId, e.Message);
            span?.SetStatus(ActivityStatusCode.Error, e.Message);
            await EndAsync(runId, work, null);
            throw;
        }
        catch (Exception e)
        {
            span?.SetStatus(ActivityStatusCode.Error, e.Message);
            await EndAsync(runId, work, new RunEnd(RunStatus.Failed, e.Message));
            throw;
        }
        await EndAsync(runId, work, end);
    }

    private async Task EndAsync<TRun>(long runId, IRunWork<TRun> work, RunEnd? end) where TRun : class, IJobRun
    {
        var deadline = DateTime.UtcNow + FinalWriteLimit;
        while (true)
        {
            try
            {
                await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
                var run = await db.Set<TRun>().SingleAsync(r => r.Id == runId, CancellationToken.None);
                if (end is { } e) RunControl.End(run, e.Status, e.Message is { } m ? m[..Math.Min(m.Length, MessageLimit)] : null);
                else RunControl.Interrupt(run);
                await work.EndingAsync(db, run, end);
                await db.SaveChangesAsync(CancellationToken.None);
                Publish(work, run);
                return;
            }
            catch (Exception e) when (IsDatabaseAway(e) && DateTime.UtcNow < deadline)
            {
                logger.LogWarning("{Kind} run {Run} could not record how it ended ({Error}); retrying.", typeof(TRun).Name, runId, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(2));
            }
        }
    }

    /// <summary>
    /// The database could not be reached, or is shutting down (EF wraps these), as opposed to an
    /// error it answered with, which writing again would only repeat.
    /// </summary>
    public static bool IsDatabaseAway(Exception e) => e switch
    {
        // A server shutting down (a stop, a crash, a fail-over) answers before it goes; Npgsql does not count these as transient.
        PostgresException answered => answered.IsTransient
            || answered.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow,
        NpgsqlException or TimeoutException => true,
        DbUpdateException or InvalidOperationException => e.InnerException is { } inner && IsDatabaseAway(inner),
        _ => false,
    };

    private void Publish<TRun>(IRunWork<TRun> work, TRun run) where TRun : class, IJobRun
    {
        var (feature, key) = work.ProgressOf(run);
        progress.Publish(feature, key);
    }
}

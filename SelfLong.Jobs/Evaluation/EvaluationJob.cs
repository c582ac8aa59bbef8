using Hangfire;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Hosting;
using SelfLong.Jobs.Progress;
using SelfLong.Jobs.Runs;

namespace SelfLong.Jobs.Evaluation;

/// <summary>An evaluation run on the evaluation queue, through the one run lifecycle (<see cref="RunJobShell"/>).</summary>
public sealed class EvaluationJob(RunJobShell shell, EvaluationRunner runner, IDbContextFactory<SelfLongDbContext> dbFactory)
{
    [Queue(JobQueues.Evaluation)]
    [AutomaticRetry(Attempts = 0)]
    public Task RunAsync(long runId, CancellationToken ct) => shell.RunAsync(runId, new Work(runner, dbFactory), ct);

    private sealed class Work(EvaluationRunner runner, IDbContextFactory<SelfLongDbContext> dbFactory) : IRunWork<EvaluationRun>
    {
        public (string Feature, long Key) ProgressOf(EvaluationRun run) => (ProgressFeatures.Evaluation, run.Id);

        public async Task<RunEnd> RunAsync(EvaluationRun run, CancellationToken ct)
        {
            await runner.RunAsync(run.Id, ct);
            // The runner stops early, keeping the cells it stored, when the user cancels; the row says whether they did.
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            var cancelled = await db.EvaluationRuns.Where(r => r.Id == run.Id).Select(r => r.CancelRequested).SingleAsync(CancellationToken.None);
            return cancelled ? RunEnd.Cancelled() : RunEnd.Succeeded();
        }
    }
}

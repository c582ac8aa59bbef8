using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using SelfLong.Data;
using SelfLong.Data.Evaluation;
using SelfLong.Data.Runs;
using SelfLong.Jobs.Progress;
using SelfLong.Jobs.Runs;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Runs;

/// <summary>The one lifecycle every job-worked run goes through, on real rows.</summary>
[NeedsDatabase]
public sealed class RunJobShellTests
{
    /// <summary>A work that records what the shell showed it and ends as told.</summary>
    private sealed class ScriptedWork(Func<EvaluationRun, CancellationToken, Task<RunEnd>> body) : IRunWork<EvaluationRun>
    {
        public List<string> Calls { get; } = [];

        public RunStatus? StatusSeenByWork { get; private set; }

        public (string Feature, long Key) ProgressOf(EvaluationRun run) => (ProgressFeatures.Evaluation, run.Id);

        public Task StartingAsync(SelfLongDbContext db, EvaluationRun run, CancellationToken ct)
        {
            Calls.Add("starting");
            run.SizedWith = "set-as-it-starts";
            return Task.CompletedTask;
        }

        public async Task<RunEnd> RunAsync(EvaluationRun run, CancellationToken ct)
        {
            Calls.Add("run");
            StatusSeenByWork = run.Status;
            return await body(run, ct);
        }

        public Task EndingAsync(SelfLongDbContext db, EvaluationRun run, RunEnd? end)
        {
            Calls.Add($"ending:{end?.Status.ToString() ?? "interrupted"}:{run.Status}");
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task Run_WorkSucceeds_MarksRunningThenRecordsTheEnd()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await TestDatabase.CreateAsync();
        var runId = await AddRunAsync(database, cancelRequested: false);
        var work = new ScriptedWork((_, _) => Task.FromResult(RunEnd.Succeeded("3 of 4 cells")));

        await Shell(database).RunAsync(runId, work, ct);

        var run = await FindAsync(database, runId);
        Assert.Equal((RunStatus.Succeeded, "3 of 4 cells", "set-as-it-starts"), (run.Status, run.Message, run.SizedWith));
        Assert.NotNull(run.StartedAt);
        Assert.NotNull(run.CompletedAt);
        Assert.Equal(RunStatus.Running, work.StatusSeenByWork);
        Assert.Equal(["starting", "run", "ending:Succeeded:Succeeded"], work.Calls);
    }

    [Fact]
    public async Task Run_CancelledBeforeItStarted_EndsWithoutRunningTheWork()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await TestDatabase.CreateAsync();
        var runId = await AddRunAsync(database, cancelRequested: true);
        var work = new ScriptedWork((_, _) => throw new InvalidOperationException("must not run"));

        await Shell(database).RunAsync(runId, work, ct);

        var run = await FindAsync(database, runId);
        Assert.Equal((RunStatus.Cancelled, RunControl.CancelledBeforeStart), (run.Status, run.Message));
        Assert.Null(run.StartedAt);
        Assert.Equal(["ending:Cancelled:Cancelled"], work.Calls);
    }

    [Fact]
    public async Task Run_WorkThrows_RecordsFailedWithAShortenedMessageAndRethrows()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await TestDatabase.CreateAsync();
        var runId = await AddRunAsync(database, cancelRequested: false);
        var longMessage = "The endpoint refused the request. " + new string('x', 5000);
        var work = new ScriptedWork((_, _) => throw new InvalidOperationException(longMessage));

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => Shell(database).RunAsync(runId, work, ct));

        Assert.Equal(longMessage, thrown.Message);
        var run = await FindAsync(database, runId);
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(longMessage[..RunJobShell.MessageLimit], run.Message);
        Assert.NotNull(run.CompletedAt);
        Assert.Equal(["starting", "run", "ending:Failed:Failed"], work.Calls);
    }

    [Fact]
    public async Task Run_DatabaseShutsDownUnderTheWork_LeavesTheRunQueuedForItsJobAndRethrows()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await TestDatabase.CreateAsync();
        var runId = await AddRunAsync(database, cancelRequested: false);
        // What a query gets when PostgreSQL is stopped under it.
        var shutdown = new Npgsql.PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", Npgsql.PostgresErrorCodes.AdminShutdown);
        var work = new ScriptedWork((_, _) => throw shutdown);

        var thrown = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => Shell(database).RunAsync(runId, work, ct));

        Assert.Same(shutdown, thrown);
        var run = await FindAsync(database, runId);
        Assert.Equal((RunStatus.Queued, RunControl.InterruptedMessage), (run.Status, run.Message));
        Assert.Null(run.CompletedAt);
        Assert.Equal(["starting", "run", "ending:interrupted:Queued"], work.Calls);
    }

    [Theory]
    [InlineData("57P01", true)]
    [InlineData("57P02", true)]
    [InlineData("57P03", true)]
    [InlineData("40P01", true)]
    [InlineData("23505", false)]
    [InlineData("42P01", false)]
    public void IsDatabaseAway_ByTheServersAnswer(string sqlState, bool away) =>
        Assert.Equal(away, RunJobShell.IsDatabaseAway(new Npgsql.PostgresException("answer", "ERROR", "ERROR", sqlState)));

    [Fact]
    public async Task Run_WorkerStops_LeavesTheRunQueuedForItsJobAndRethrows()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await TestDatabase.CreateAsync();
        var runId = await AddRunAsync(database, cancelRequested: false);
        using var worker = new CancellationTokenSource();
        var work = new ScriptedWork(async (_, token) =>
        {
            await worker.CancelAsync();
            token.ThrowIfCancellationRequested();
            return RunEnd.Succeeded();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Shell(database).RunAsync(runId, work, worker.Token));

        var run = await FindAsync(database, runId);
        Assert.Equal((RunStatus.Queued, RunControl.InterruptedMessage), (run.Status, run.Message));
        Assert.Null(run.CompletedAt);
        Assert.Equal(["starting", "run", "ending:interrupted:Queued"], work.Calls);
    }

    [Fact]
    public async Task Run_UsersCancelInsideTheWork_IsNotTakenForAStoppingWorker()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = await TestDatabase.CreateAsync();
        var runId = await AddRunAsync(database, cancelRequested: false);
        var work = new ScriptedWork((_, _) => throw new OperationCanceledException("the user's own token"));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Shell(database).RunAsync(runId, work, ct));

        // A cancellation the work did not turn into RunEnd.Cancelled, with the worker still running, is a failure.
        Assert.Equal(RunStatus.Failed, (await FindAsync(database, runId)).Status);
    }

    private static RunJobShell Shell(TestDatabase database) =>
        new(database, new ProgressPublisher(database.DataSource, NullLogger<ProgressPublisher>.Instance), NullLogger<RunJobShell>.Instance);

    private static async Task<long> AddRunAsync(TestDatabase database, bool cancelRequested)
    {
        await using var db = database.CreateDbContext();
        var run = new EvaluationRun { Name = "shell", Kind = EvaluationKind.Niah, Status = RunStatus.Queued, MaxLength = 1024, CancelRequested = cancelRequested };
        db.EvaluationRuns.Add(run);
        await db.SaveChangesAsync();
        return run.Id;
    }

    private static async Task<EvaluationRun> FindAsync(TestDatabase database, long runId)
    {
        await using var db = database.CreateDbContext();
        return await db.EvaluationRuns.AsNoTracking().SingleAsync(r => r.Id == runId);
    }
}

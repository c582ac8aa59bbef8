using Microsoft.Extensions.Hosting;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.Niah;
using SelfLong.Jobs.Runs;
using SelfLong.Tests.Evaluation;
using SelfLong.Tests.Infrastructure;
using SelfLong.Tests.Synthesis;
using SelfLong.Data.Runs;
using SelfLong.Data.Synthesis;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.Synthesis;

namespace SelfLong.Tests.Runs;

[NeedsDatabase]
public sealed class RunReaperTests(AppFixture app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private RunReaper Reaper => app.Services.GetServices<IHostedService>().OfType<RunReaper>().Single();

    private async Task<EvaluationRun> LostRunAsync(OpenAiTestServer server, string? jobId)
    {
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        // Created as a command-line verb would, then left as a dead process or a crash before enqueuing leaves it.
        var run = await evaluations.CreateNiahAsync($"lost-{Guid.NewGuid():N}", NiahTests.Target(server, 2000),
            new NiahSettings { Lengths = [1000], Depths = [0, 100] }, Ct, enqueue: false);
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(Ct);
        await db.EvaluationRuns.Where(r => r.Id == run.Id).ExecuteUpdateAsync(r => r.SetProperty(x => x.HangfireJobId, jobId), Ct);
        return run;
    }

    [Fact]
    public async Task Sweep_RunWithNoJobOrADeadOwner_IsDispatchedAgainOnceAndFinishes()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        server.CompletionResponder = _ => "Eat a sandwich and sit in Dolores Park on a sunny day.";
        var noJob = await LostRunAsync(server, null);
        var deadOwner = await LostRunAsync(server, $"here:{Environment.MachineName}:{int.MaxValue - 7}");
        var liveOwner = await LostRunAsync(server, RunHere.Marker);

        await Reaper.SweepAsync(DateTimeOffset.UtcNow.AddMinutes(1), Ct);
        // A second sweep (another worker's) finds live jobs and dispatches nothing more.
        await Reaper.SweepAsync(DateTimeOffset.UtcNow.AddMinutes(1), Ct);

        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        foreach (var run in new[] { noJob, deadOwner })
        {
            var done = await NiahTests.WaitAsync(evaluations, run.Id, RunStatus.Succeeded, Ct);
            Assert.Equal(2, done.DoneItems);
            Assert.True(long.TryParse(done.HangfireJobId, out _), done.HangfireJobId);
        }
        Assert.Equal(4, server.RequestCount);
        var untouched = (await evaluations.FindAsync(liveOwner.Id, Ct))!;
        Assert.Equal(RunStatus.Queued, untouched.Status);
        Assert.Equal(RunHere.Marker, untouched.HangfireJobId);
    }

    /// <summary>Sample jobs that never reach a worker, as when Hangfire's jobs are deleted.</summary>
    private sealed class LostJobs : ISampleJobQueue
    {
        public void Enqueue(long runId, int index) { }

        public void Schedule(long runId, int index, TimeSpan delay) { }
    }

    /// <summary>
    /// Sample jobs a worker took and was killed over: each stays "Processing" on a server that no
    /// longer beats (written as Hangfire's worker writes it; never queued, so no live worker runs it).
    /// </summary>
    private sealed class JobsOfAKilledWorker(Hangfire.IBackgroundJobClient jobs) : ISampleJobQueue
    {
        public void Enqueue(long runId, int index) =>
            jobs.Create(Hangfire.Common.Job.FromExpression<SynthesisSampleJob>(j => j.RunAsync(runId, index, CancellationToken.None)), new ProcessingOnADeadServer());

        public void Schedule(long runId, int index, TimeSpan delay) { }
    }

    private sealed class ProcessingOnADeadServer : Hangfire.States.IState
    {
        public string Name => Hangfire.States.ProcessingState.StateName;
        public string? Reason => null;
        public bool IsFinal => false;
        public bool IgnoreJobLoadException => false;

        public Dictionary<string, string> SerializeData() => new()
        {
            ["StartedAt"] = Hangfire.Common.JobHelper.SerializeDateTime(DateTime.UtcNow),
            ["ServerId"] = $"killed-worker:{Guid.NewGuid():N}",
            ["WorkerId"] = Guid.NewGuid().ToString(),
        };
    }

    /// <summary>Sample jobs a command-line process keeps to run itself, and then never runs (it died, or is still busy).</summary>
    private sealed class HeldJobs(string owner) : ISampleJobQueue
    {
        public void Enqueue(long runId, int index) { }

        public void Schedule(long runId, int index, TimeSpan delay) { }

        public string? Owner => owner;
    }

    [Fact]
    public async Task Sweep_SynthesisWorkedInACommandLineProcess_LeftAloneWhileItLivesAndTakenOverOnceItDied()
    {
        var (corpusId, _) = await app.HandMadeAsync();
        var endpoint = await app.Services.GetRequiredService<ModelEndpointService>().EnsureExtractiveAsync(Ct);
        var runs = app.Services.GetRequiredService<SynthesisRunService>();
        async Task<SynthesisRun> StartAsync(string owner)
        {
            var (run, errors) = await runs.CreateAsync(new NewSynthesisRun($"here {Guid.NewGuid():N}"[..20], corpusId, endpoint.Id, 3,
                Settings: new SynthesisSettings { LongOutputFraction = 0, TargetTokenizer = "bytes" }), Ct);
            Assert.Empty(errors);
            Assert.True(await runs.StartAsync(run!.Id, new HeldJobs(owner), Ct));
            return (await runs.FindAsync(run.Id, Ct))!;
        }
        // This test's own process is alive; a process that has exited stands for a killed `synthesis run --in-process`.
        using var ended = System.Diagnostics.Process.Start("true")!;
        await ended.WaitForExitAsync(Ct);
        var alive = await StartAsync(RunHere.Marker);
        var dead = await StartAsync($"here:{Environment.MachineName}:{ended.Id}");
        Assert.Equal(RunHere.Marker, alive.WorkedHere);

        await Reaper.SweepAsync(DateTimeOffset.UtcNow.AddHours(1), Ct);

        // The dead process's samples go to the workers and the run finishes there...
        var finished = await Poll.UntilAsync(async () => await runs.FindAsync(dead.Id, Ct), r => r?.Status == RunStatus.Succeeded,
            "the run of the exited process to finish on the workers", TimeSpan.FromMinutes(2));
        Assert.Null(finished!.WorkedHere);
        // ...while the live process keeps its run: nothing was sent for it (sent in the same sweep, its samples would be done by now).
        var kept = (await runs.FindAsync(alive.Id, Ct))!;
        Assert.Equal((RunStatus.Running, RunHere.Marker), (kept.Status, kept.WorkedHere));
        Assert.Equal(0, (await runs.ProgressAsync([alive.Id], Ct))[alive.Id].Completed);
    }

    [Fact]
    public async Task Sweep_RunningSynthesisWithItsSampleJobsLost_SendsTheWaitingSamplesAgainAndFinishes()
    {
        var (corpusId, _) = await app.HandMadeAsync();
        var endpoint = await app.Services.GetRequiredService<ModelEndpointService>().EnsureExtractiveAsync(Ct);
        var runs = app.Services.GetRequiredService<SynthesisRunService>();
        var (run, errors) = await runs.CreateAsync(new NewSynthesisRun($"lost {Guid.NewGuid():N}"[..20], corpusId, endpoint.Id, 5,
            Settings: new SynthesisSettings { LongOutputFraction = 0, TargetTokenizer = "bytes" }), Ct);
        Assert.Empty(errors);
        Assert.True(await runs.StartAsync(run!.Id, new LostJobs(), Ct));
        var dbFactory = app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>();
        await using (var db = await dbFactory.CreateDbContextAsync(Ct))
        {
            // Index 1 waits for a retry whose scheduled job is gone too; index 2 is out of attempts and stays failed.
            db.SynthesisSamples.AddRange(
                new Sample { RunId = run.Id, Index = 1, Status = SampleStatus.Failed, Attempts = 1, RetryAt = DateTimeOffset.UtcNow, Error = "down" },
                new Sample { RunId = run.Id, Index = 2, Status = SampleStatus.Failed, Attempts = 3, Error = "down for good" });
            await db.SaveChangesAsync(Ct);
        }

        await Reaper.SweepAsync(DateTimeOffset.UtcNow.AddHours(1), Ct);

        var done = await Poll.UntilAsync(async () => await runs.FindAsync(run.Id, Ct), r => r?.Status == RunStatus.Succeeded,
            "the synthesis run to finish once its samples were sent again", TimeSpan.FromMinutes(2));
        await using (var db = await dbFactory.CreateDbContextAsync(Ct))
        {
            var samples = await db.SynthesisSamples.AsNoTracking().Where(s => s.RunId == run.Id).OrderBy(s => s.Index).ToListAsync(Ct);
            Assert.Equal([0, 1, 2, 3, 4], samples.Select(s => s.Index));
            Assert.Equal([SampleStatus.Completed, SampleStatus.Completed, SampleStatus.Failed, SampleStatus.Completed, SampleStatus.Completed],
                samples.Select(s => s.Status));
            Assert.Equal(3, samples[2].Attempts);
            Assert.Equal(2, samples[1].Attempts);
        }
        // The run is over: a later sweep sends nothing more for it.
        Assert.Equal(RunStatus.Succeeded, done!.Status);
    }

    [Fact]
    public async Task Sweep_SynthesisWhoseSampleJobsAreProcessingOnADeadServer_SendsThemAgainAndFinishes()
    {
        var (corpusId, _) = await app.HandMadeAsync();
        var endpoint = await app.Services.GetRequiredService<ModelEndpointService>().EnsureExtractiveAsync(Ct);
        var runs = app.Services.GetRequiredService<SynthesisRunService>();
        var (run, errors) = await runs.CreateAsync(new NewSynthesisRun($"killed {Guid.NewGuid():N}"[..20], corpusId, endpoint.Id, 3,
            Settings: new SynthesisSettings { LongOutputFraction = 0, TargetTokenizer = "bytes" }), Ct);
        Assert.Empty(errors);
        Assert.True(await runs.StartAsync(run!.Id, new JobsOfAKilledWorker(app.Services.GetRequiredService<Hangfire.IBackgroundJobClient>()), Ct));

        await Reaper.SweepAsync(DateTimeOffset.UtcNow.AddHours(1), Ct);

        var done = await Poll.UntilAsync(async () => await runs.FindAsync(run.Id, Ct), r => r?.Status == RunStatus.Succeeded,
            "the synthesis run to finish once the samples its killed worker held were sent again", TimeSpan.FromMinutes(2));
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(Ct);
        Assert.Equal([0, 1, 2], await db.SynthesisSamples.Where(s => s.RunId == run.Id && s.Status == SampleStatus.Completed)
            .OrderBy(s => s.Index).Select(s => s.Index).ToListAsync(Ct));
        Assert.Equal(RunStatus.Succeeded, done!.Status);
    }
}

using Microsoft.Extensions.Hosting;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.Niah;
using SelfLong.Jobs.Runs;
using SelfLong.Tests.Evaluation;
using SelfLong.Tests.Infrastructure;
using SelfLong.Data.Runs;

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
}

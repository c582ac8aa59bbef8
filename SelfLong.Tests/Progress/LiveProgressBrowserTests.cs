using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Playwright;
using SelfLong.Data;
using SelfLong.Data.Training;
using SelfLong.Jobs.Progress;
using SelfLong.Jobs.Training;
using SelfLong.Tests.Infrastructure;
using SelfLong.Web.Features.Progress;
using SelfLong.Data.Runs;

namespace SelfLong.Tests.Progress;

[NeedsBrowser]
public sealed class LiveProgressBrowserTests(AppFixture app, BrowserFixture browser)
{
    [Fact]
    public async Task TrainingRunPage_ProgressWrittenOutsideTheWebProcess_UpdatesOnNotificationNotByPolling()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = $"live-{Guid.NewGuid():N}"[..14];
        long runId;
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(ct))
        {
            var run = new TrainingRun
            {
                Name = name, Status = RunStatus.Running, TotalSteps = 40, OutputDirectory = Path.Combine(Path.GetTempPath(), name),
                SpecJson = new TrainingRunSpec { Stages = [new TrainingStage(64, 10_000, 40, 1e-3)] }.ToJson(),
            };
            db.TrainingRuns.Add(run);
            await db.SaveChangesAsync(ct);
            runId = run.Id;
        }
        // Every read of this run's row by the app is counted, the page's included.
        using var reads = app.Services.GetRequiredService<QueryCounter>()
            .Start(c => c.CommandText.Contains("training_runs", StringComparison.Ordinal) && QueryCounter.HasParameter(c, runId));
        var page = await browser.OpenSignedInAsync(app, $"/training/{runId}");
        var progress = page.Locator("[data-testid=run-progress]");
        await Assertions.Expect(progress).ToContainTextAsync("Step 0 of 40");

        // What a worker process does: its own connections, its own publisher; nothing shared in memory.
        await using var worker = DataExtensions.BuildDataSource(app.ConnectionString);
        var options = new DbContextOptionsBuilder<SelfLongDbContext>();
        DataExtensions.Configure(options, worker);
        await using var publisher = new ProgressPublisher(worker, NullLogger<ProgressPublisher>.Instance);
        async Task WriteStepAsync(int step)
        {
            await using var db = new SelfLongDbContext(options.Options);
            await db.TrainingRuns.Where(r => r.Id == runId).ExecuteUpdateAsync(u => u.SetProperty(r => r.CurrentStep, step), ct);
        }

        // A first notification: the page's follower is now in place, and its read is the newest.
        await WriteStepAsync(5);
        publisher.Publish(ProgressFeatures.Training, runId);
        await Assertions.Expect(progress).ToContainTextAsync("Step 5 of 40", new() { Timeout = 5_000 });
        // The text can show before every read that notification brought has been counted (another
        // part of the page reading the row too); the quiet window starts once none has come for a while.
        for (var seen = -1; seen != reads.Count;)
        {
            seen = reads.Count;
            await Task.Delay(TimeSpan.FromMilliseconds(300), ct);
        }
        var readsBefore = reads.Count;
        var lastRead = reads.Last!.Value;

        // Without a notification the page reads nothing: its only other read is the safety refresh,
        // SafetyRefresh after its last one, so any read in the first half of that span is polling.
        await WriteStepAsync(17);
        var quietUntil = lastRead + ProgressSubscriptions.SafetyRefresh / 2;
        if (quietUntil > DateTime.UtcNow) await Task.Delay(quietUntil - DateTime.UtcNow, ct);
        Assert.True(DateTime.UtcNow < lastRead + ProgressSubscriptions.SafetyRefresh, "the window outlasted the safety refresh; nothing can be told");
        Assert.Equal(readsBefore, reads.Count);
        Assert.Contains("Step 5 of 40", await progress.InnerTextAsync());

        var watch = Stopwatch.StartNew();
        publisher.Publish(ProgressFeatures.Training, runId);
        // Well inside the safety refresh, so only the notification can have brought it; the count saw its read.
        await Assertions.Expect(progress).ToContainTextAsync("Step 17 of 40", new() { Timeout = 5_000 });
        Assert.True(watch.Elapsed < ProgressSubscriptions.SafetyRefresh / 2);
        Assert.True(reads.Count > readsBefore, "the notification's read was not counted");
        TestContext.Current.SendDiagnosticMessage($"Run page updated {watch.ElapsedMilliseconds} ms after the notification.");
        await page.Context.CloseAsync();
    }
}

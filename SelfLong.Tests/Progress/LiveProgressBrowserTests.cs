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
        var page = await browser.OpenSignedInAsync(app, $"/training/{runId}");
        var progress = page.Locator("[data-testid=run-progress]");
        await Assertions.Expect(progress).ToContainTextAsync("Step 0 of 40");

        // What a worker process does: its own connections, its own publisher; nothing shared in memory.
        await using var worker = DataExtensions.BuildDataSource(app.ConnectionString);
        var options = new DbContextOptionsBuilder<SelfLongDbContext>();
        DataExtensions.Configure(options, worker);
        await using (var db = new SelfLongDbContext(options.Options))
        {
            await db.TrainingRuns.Where(r => r.Id == runId).ExecuteUpdateAsync(u => u.SetProperty(r => r.CurrentStep, 17), ct);
        }
        // Without a notification the page stays as it was: it does not poll.
        await Task.Delay(TimeSpan.FromSeconds(2.5), ct);
        Assert.Contains("Step 0 of 40", await progress.InnerTextAsync());

        await using var publisher = new ProgressPublisher(worker, NullLogger<ProgressPublisher>.Instance);
        var watch = Stopwatch.StartNew();
        publisher.Publish(ProgressFeatures.Training, runId);
        // Well inside the safety refresh, so only the notification can have brought it.
        await Assertions.Expect(progress).ToContainTextAsync("Step 17 of 40", new() { Timeout = 5_000 });
        Assert.True(watch.Elapsed < ProgressSubscriptions.SafetyRefresh / 2);
        TestContext.Current.SendDiagnosticMessage($"Run page updated {watch.ElapsedMilliseconds} ms after the notification.");
        await page.Context.CloseAsync();
    }
}

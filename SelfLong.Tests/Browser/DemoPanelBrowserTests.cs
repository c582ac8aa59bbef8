using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using SelfLong.Data;
using SelfLong.Data.Corpora;
using SelfLong.Data.Demo;
using SelfLong.Data.Evaluation;
using SelfLong.Data.Synthesis;
using SelfLong.Data.Training;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Demo;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Hosting;
using SelfLong.Jobs.Synthesis;
using SelfLong.Jobs.Training;
using SelfLong.Jobs.Endpoints;
using SelfLong.Data.Runs;
using SelfLong.Jobs.Progress;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Browser;

[NeedsBrowser]
public sealed class DemoPanelBrowserTests(AppFixture app, BrowserFixture browser)
{
    [Fact]
    public async Task DemoPanel_StatusShownWithTheRunStatusChip_FollowsTheDemoLive()
    {
        var ct = TestContext.Current.CancellationToken;
        var factory = app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>();
        var demo = new DemoRun { Status = RunStatus.Running, Step = "train", Message = "stage 2 of 3" };
        await using (var db = await factory.CreateDbContextAsync(ct))
        {
            db.DemoRuns.Add(demo);
            await db.SaveChangesAsync(ct);
        }
        var page = await browser.OpenSignedInAsync(app, "/");
        var chip = page.Locator("[data-testid=demo-panel] [data-testid=demo-status]");
        await Assertions.Expect(chip).ToHaveTextAsync("Running");
        await Assertions.Expect(chip).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("status-chip"));
        await Assertions.Expect(chip).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-chip-color-info"));

        await using (var db = await factory.CreateDbContextAsync(ct))
        {
            await db.DemoRuns.Where(d => d.Id == demo.Id).ExecuteUpdateAsync(u => u.SetProperty(d => d.Status, RunStatus.Succeeded).SetProperty(d => d.Message, (string?)null), ct);
        }
        app.Services.GetRequiredService<ProgressPublisher>().Publish(ProgressFeatures.Demo, demo.Id);
        await Assertions.Expect(chip).ToHaveTextAsync("Succeeded", new() { Timeout = 10_000 });
        // The colour every other page gives "Succeeded" (StatusChip), not a demo-only style.
        await Assertions.Expect(chip).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-chip-color-success"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task DemoPanel_AChipForEachRunTheDemoStarted_LinkedAndLive()
    {
        var ct = TestContext.Current.CancellationToken;
        var factory = app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>();
        var (corpus, errors) = await app.Services.GetRequiredService<CorpusService>().CreateAsync(new CorpusSettings { Name = $"demo chips {Guid.NewGuid():N}" }, ct);
        Assert.Empty(errors);
        var extractive = await app.Services.GetRequiredService<ModelEndpointService>().EnsureExtractiveAsync(ct);
        var now = DateTimeOffset.UtcNow;
        // Finished runs only: the run reaper would pick up queued or running rows that have no job.
        var before = new IngestionRun { CorpusId = corpus!.Id, Status = RunStatus.Failed, CreatedAt = now.AddHours(-1) };
        var ingestion = new IngestionRun { CorpusId = corpus.Id, Status = RunStatus.Succeeded, CreatedAt = now.AddMinutes(-29) };
        var synthesis = new SynthesisRun
        {
            Name = "demo chips synthesis", CorpusId = corpus.Id, EndpointId = extractive.Id, GeneratorLabel = "extractive", IsExtractive = true,
            SettingsJson = new SelfLong.Jobs.Synthesis.SynthesisSettings().ToJson(), TemplatesJson = SelfLong.Jobs.Synthesis.PromptTemplates.Default.ToJson(),
            Tokenizer = "bytes", Status = RunStatus.Succeeded,
        };
        var training = new TrainingRun { Name = "demo chips training", SpecJson = "{}", OutputDirectory = Path.GetTempPath(), Status = RunStatus.Succeeded };
        var demo = new DemoRun { Status = RunStatus.Succeeded, Step = "done", CreatedAt = now.AddMinutes(-30) };
        await using (var db = await factory.CreateDbContextAsync(ct))
        {
            db.AddRange(before, ingestion, synthesis, training, demo);
            await db.SaveChangesAsync(ct);
        }
        var niah = new EvaluationRun { Name = $"Demo {demo.Id} NIAH: stage 2 (512 bytes, theta 40000)", Kind = EvaluationKind.Niah, Status = RunStatus.Cancelled };
        var ruler = new EvaluationRun { Name = $"Demo {demo.Id} RULER: stage 2 (512 bytes, theta 40000)", Kind = EvaluationKind.Ruler, Status = RunStatus.Failed };
        await using (var db = await factory.CreateDbContextAsync(ct))
        {
            db.EvaluationRuns.AddRange(niah, ruler);
            await db.SaveChangesAsync(ct);
            await db.DemoRuns.Where(d => d.Id == demo.Id).ExecuteUpdateAsync(u => u
                .SetProperty(d => d.CorpusId, corpus.Id).SetProperty(d => d.SynthesisRunId, synthesis.Id).SetProperty(d => d.TrainingRunId, training.Id)
                .SetProperty(d => d.NiahRunIds, $"{niah.Id}").SetProperty(d => d.RulerRunIds, $"{ruler.Id}"), ct);
        }

        var page = await browser.OpenSignedInAsync(app, "/");
        var links = page.Locator("[data-testid=demo-panel] [data-testid=demo-run]");
        await Assertions.Expect(links).ToHaveCountAsync(5);
        var shown = new List<(string Text, string Status, string? Href)>();
        for (var i = 0; i < 5; i++)
        {
            var link = links.Nth(i);
            shown.Add(((await link.InnerTextAsync()).Replace('\n', ' ').Trim(), await link.Locator("[data-testid=demo-run-status]").InnerTextAsync(), await link.GetAttributeAsync("href")));
        }
        Assert.Equal(
            [("Ingestion", "Succeeded", $"/corpora/{corpus.Id}"), ("Synthesis", "Succeeded", $"/synthesis/runs/{synthesis.Id}"),
             ("Training", "Succeeded", $"/training/{training.Id}"), ("NIAH: stage 2 (512 bytes, theta 40000)", "Cancelled", $"/evaluation/{niah.Id}"),
             ("RULER: stage 2 (512 bytes, theta 40000)", "Failed", $"/evaluation/{ruler.Id}")],
            shown.Select(s => (s.Text.Replace(s.Status, "").Trim(), s.Status, s.Href)));

        // An evaluation resumed and finished between the demo's own steps: its chip follows.
        await using (var db = await factory.CreateDbContextAsync(ct))
            await db.EvaluationRuns.Where(r => r.Id == niah.Id).ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, RunStatus.Succeeded), ct);
        app.Services.GetRequiredService<ProgressPublisher>().Publish(ProgressFeatures.Evaluation, niah.Id);
        await Assertions.Expect(links.Nth(3).Locator("[data-testid=demo-run-status]")).ToHaveTextAsync("Succeeded", new() { Timeout = 10_000 });
        await Assertions.Expect(links.Nth(3).Locator("[data-testid=demo-run-status]")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-chip-color-success"));

        await links.Nth(3).ClickAsync();
        await page.WaitForURLAsync($"**/evaluation/{niah.Id}");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task RunTheDemo_Clicked_StartsTheDemoJob_ThePanelShowsItRunning()
    {
        var ct = TestContext.Current.CancellationToken;
        var factory = app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>();
        // A finished demo as the latest, so the panel offers the button whatever ran before.
        var finished = new DemoRun { Status = RunStatus.Succeeded, Step = "done" };
        await using (var db = await factory.CreateDbContextAsync(ct))
        {
            db.DemoRuns.Add(finished);
            await db.SaveChangesAsync(ct);
        }
        var page = await browser.OpenSignedInAsync(app, "/");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var panel = page.Locator("[data-testid=demo-panel]");
        await Assertions.Expect(panel).ToContainTextAsync($"Demo #{finished.Id}");

        await panel.Locator("[data-testid=demo-start]").ClickAsync();

        var started = await Poll.UntilAsync(() => LatestAfterAsync(factory, finished.Id, ct), d => d is not null, "the demo run the button creates");
        try
        {
            // Only the demo job sets Running (and a step): a button that only wrote a row would stay Queued.
            var running = await Poll.UntilAsync(() => LatestAfterAsync(factory, finished.Id, ct), d => d!.Status == RunStatus.Running,
                $"demo {started!.Id}'s job to start its first step", timeout: TimeSpan.FromMinutes(2), describe: d => $"{d!.Status} at {d.Step}");
            Assert.Equal(started!.Id, running!.Id);
            Assert.Contains(running.Step, new[] { "ingest", "synthesize", "train" });
            await Assertions.Expect(panel).ToContainTextAsync($"Demo #{started.Id}");
            await Assertions.Expect(panel.Locator("[data-testid=demo-status]")).ToHaveTextAsync("Running", new() { Timeout = 20_000 });
            await Assertions.Expect(panel.Locator("[data-testid=demo-step]")).ToHaveTextAsync(
                new System.Text.RegularExpressions.Regex(@"^(ingest|synthesize|train) — \S"), new() { Timeout = 20_000 });
            await Assertions.Expect(panel.Locator("[data-testid=demo-start]")).ToHaveCountAsync(0);
        }
        finally
        {
            await StopDemoAsync(started!.Id, ct);
            await page.Context.CloseAsync();
        }
    }

    private static async Task<DemoRun?> LatestAfterAsync(IDbContextFactory<SelfLongDbContext> factory, long afterId, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.DemoRuns.AsNoTracking().Where(d => d.Id > afterId).OrderBy(d => d.Id).FirstOrDefaultAsync(ct);
    }

    /// <summary>
    /// The demo has no cancel of its own: its Hangfire job is deleted (Hangfire cancels a deleted job's token
    /// at its next check, every 5 s), and the runs it started are cancelled through their own services, so
    /// no synthesis or training keeps the suite's two workers busy. The shared sample corpus's ingestion,
    /// which other tests may wait on too, is left to finish.
    /// </summary>
    private async Task StopDemoAsync(long demoId, CancellationToken ct)
    {
        var monitor = app.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
        bool IsThisDemo(Hangfire.Common.Job? job) => job?.Type == typeof(DemoJob) && Convert.ToInt64(job.Args[0], System.Globalization.CultureInfo.InvariantCulture) == demoId;
        var jobIds = monitor.ProcessingJobs(0, 1000).Where(j => IsThisDemo(j.Value.Job)).Select(j => j.Key)
            .Concat(monitor.EnqueuedJobs(JobQueues.Default, 0, 1000).Where(j => IsThisDemo(j.Value.Job)).Select(j => j.Key)).ToList();
        var jobs = app.Services.GetRequiredService<IBackgroundJobClient>();
        foreach (var id in jobIds) jobs.Delete(id);

        var factory = app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>();
        var quietSince = DateTime.UtcNow;
        await Poll.UntilAsync(async () =>
        {
            if (await CancelStartedRunsAsync(factory, demoId, ct)) quietSince = DateTime.UtcNow;
            return DateTime.UtcNow - quietSince;
        }, quiet => quiet > TimeSpan.FromSeconds(12), $"demo {demoId}'s chain to stop starting runs", timeout: TimeSpan.FromMinutes(2), interval: TimeSpan.FromMilliseconds(500));
        await using var db = await factory.CreateDbContextAsync(ct);
        await db.DemoRuns.Where(d => d.Id == demoId).ExecuteUpdateAsync(u => u
            .SetProperty(d => d.Status, RunStatus.Cancelled).SetProperty(d => d.CompletedAt, DateTimeOffset.UtcNow), ct);
        app.Services.GetRequiredService<ProgressPublisher>().Publish(ProgressFeatures.Demo, demoId);
    }

    /// <summary>Cancels the demo's synthesis, training and evaluations that are still going; true when one was.</summary>
    private async Task<bool> CancelStartedRunsAsync(IDbContextFactory<SelfLongDbContext> factory, long demoId, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var demo = await db.DemoRuns.AsNoTracking().SingleAsync(d => d.Id == demoId, ct);
        var cancelled = false;
        if (demo.SynthesisRunId is { } synthesis)
            cancelled |= await app.Services.GetRequiredService<SynthesisRunService>().CancelAsync(synthesis, ct);
        if (demo.TrainingRunId is { } training)
            cancelled |= await app.Services.GetRequiredService<TrainingRunService>().CancelAsync(training, ct);
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        foreach (var id in $"{demo.NiahRunIds},{demo.RulerRunIds}".Split(',', StringSplitOptions.RemoveEmptyEntries))
            cancelled |= await evaluations.CancelAsync(long.Parse(id, System.Globalization.CultureInfo.InvariantCulture), ct);
        return cancelled;
    }
}

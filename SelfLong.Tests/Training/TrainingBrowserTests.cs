using SelfLong.Jobs.Storage;
using Microsoft.Playwright;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Training;

[NeedsBrowser]
public sealed class TrainingBrowserTests(AppFixture app, BrowserFixture browser) : IDisposable
{
    private readonly string dataDir = Directory.CreateTempSubdirectory("selflong-ui-data-").FullName;

    public void Dispose() => Directory.Delete(dataDir, recursive: true);

    [Fact]
    public async Task NewRunDialog_TinyFromScratch_OpensRunPageThatShowsLossAndCheckpoint()
    {
        var data = Path.Combine(dataDir, "d.jsonl");
        File.WriteAllLines(data, TrainingTestData.Patterns().Select(s => System.Text.Json.JsonSerializer.Serialize(new { text = s.Response })));
        var name = $"ui-{Guid.NewGuid():N}"[..12];

        var page = await browser.OpenSignedInAsync(app, "/training");
        await page.ClickAsync("[data-testid=new-training-run]");
        await page.Locator("[data-testid=run-name] input, input[data-testid=run-name]").First.FillAsync(name);
        await page.Locator("[data-testid=run-data] textarea, textarea[data-testid=run-data]").First.FillAsync(data);
        var stageInputs = page.Locator("[data-testid=stage-row] input");
        await stageInputs.Nth(0).FillAsync("16");
        await stageInputs.Nth(2).FillAsync("3");
        await BrowserFixture.ClickAndWaitForUrlAsync(page, "[data-testid=start-run]", "**/training/*", "[data-testid=run-error]");
        await page.Locator("h4", new() { HasTextString = name }).WaitForAsync();
        await page.Locator("[data-testid=run-status]", new() { HasTextString = "Succeeded" }).WaitForAsync(new() { Timeout = 120_000 });
        await page.Locator("[data-testid=checkpoints] td", new() { HasTextString = "stage end" }).WaitForAsync();
        // Every pattern is longer than the 16-token stage, so plain text was cut at its end.
        Assert.Matches(@"[1-9][\d,]* cut \([1-9][\d,]* tokens", await page.Locator("[data-testid=run-truncation]").InnerTextAsync());
        // The loss axis spans the plotted (smoothed, so never wider than the raw) losses padded 5 %, not 0
        // to a round number far above them;
        // the chart takes the card's width.
        var runId = long.Parse(page.Url.Split('/')[^1], System.Globalization.CultureInfo.InvariantCulture);
        var losses = (await app.Services.GetRequiredService<SelfLong.Jobs.Training.TrainingRunService>().MetricsAsync(runId, ct: TestContext.Current.CancellationToken)).Select(m => m.Loss).ToList();
        var ticks = (await page.Locator("[data-testid=loss-y-tick]").AllTextContentsAsync()).Select(t => double.Parse(t, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var spread = losses.Max() - losses.Min();
        Assert.True(ticks.Min() >= losses.Min() - 0.06 * spread - 0.01 && ticks.Max() <= losses.Max() + 0.06 * spread + 0.01,
            $"ticks {string.Join(", ", ticks)} for losses {string.Join(", ", losses)}");
        var chart = (await page.Locator("svg[data-testid=loss-chart]").BoundingBoxAsync())!;
        var card = (await page.Locator("[data-testid=loss-card]").BoundingBoxAsync())!;
        Assert.True(chart.Width > card.Width * 0.9, $"chart {chart.Width} px in a {card.Width} px card");
        await page.ClickAsync("[data-testid=loss-log]");
        await page.Locator("text:has-text('Loss (log scale)')").WaitForAsync();

        // One click from a checkpoint to its evaluation: the form opens with the folder, tokenizer and training length.
        var stageEnd = page.Locator("[data-testid=checkpoints] tr", new() { HasTextString = "stage end" }).First;
        var folder = (await stageEnd.Locator("code").TextContentAsync())!.Trim();
        await stageEnd.Locator("[data-testid=evaluate-checkpoint] a", new() { HasTextString = "Perplexity" }).ClickAsync();
        await page.WaitForURLAsync("**/evaluation?kind=Perplexity*");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var form = page.Locator("[data-testid=new-evaluation-form]");
        await Assertions.Expect(form.GetByLabel("Checkpoint folder")).ToHaveValueAsync(folder);
        await Assertions.Expect(form.GetByLabel("Training length", new() { Exact = true })).ToHaveValueAsync("16");
        await Assertions.Expect(form.GetByLabel("Max length (tokens)")).ToHaveValueAsync("32");
        await Assertions.Expect(form.GetByLabel("Name", new() { Exact = true })).ToHaveValueAsync(new System.Text.RegularExpressions.Regex($"^{name} stage 1 step \\d+ Perplexity$"));
        await Assertions.Expect(page.Locator("[data-testid=prefill-note]")).ToContainTextAsync("(bytes)");
        await page.ClickAsync("[data-testid=start-evaluation]");
        await page.WaitForURLAsync(url => System.Text.RegularExpressions.Regex.IsMatch(url, @"/evaluation/\d+$"));
        // The run page has replaced the list (whose rows carry status chips too) once its target line shows.
        await Assertions.Expect(page.Locator("[data-testid=run-target]")).ToContainTextAsync(folder);
        await page.Locator("[data-testid=run-status]", new() { HasTextString = "Succeeded" }).WaitForAsync(new() { Timeout = 120_000 });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task NewRunDialog_BasePickedFromTrainingCheckpoints_TrainsFromItsFolder()
    {
        using var checkpoint = new SelfLong.Tests.Synthesis.TinyCheckpoint(maxPositions: 256);
        var baseRun = $"ui-base-{Guid.NewGuid():N}"[..16];
        await using (var db = await app.Services.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<SelfLong.Data.SelfLongDbContext>>()
            .CreateDbContextAsync(TestContext.Current.CancellationToken))
        {
            var run = new SelfLong.Data.Training.TrainingRun
            {
                Name = baseRun, SpecJson = "{}", OutputDirectory = Path.GetDirectoryName(checkpoint.Folder)!, Status = SelfLong.Data.Runs.RunStatus.Succeeded,
            };
            run.Checkpoints.Add(new SelfLong.Data.Training.TrainingCheckpoint { Path = checkpoint.Folder, GlobalStep = 7, Stage = 0, StageEnd = true, RopeTheta = 10_000, MaxLength = 256 });
            db.TrainingRuns.Add(run);
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        }
        var data = Path.Combine(dataDir, "picked.jsonl");
        File.WriteAllLines(data, TrainingTestData.Patterns().Select(s => System.Text.Json.JsonSerializer.Serialize(new { text = s.Response })));
        var name = $"ui-pick-{Guid.NewGuid():N}"[..16];

        var page = await browser.OpenSignedInAsync(app, "/training");
        await page.ClickAsync("[data-testid=new-training-run]");
        await page.Locator("[data-testid=run-name] input, input[data-testid=run-name]").First.FillAsync(name);
        await page.GetByText("A training run's checkpoint", new() { Exact = true }).ClickAsync();
        await page.ClickAsync("[data-testid=run-base-checkpoint]");
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasTextString = $"{baseRun}, stage 1, step 7" }).ClickAsync();
        // No folder is typed anywhere: the picked checkpoint's config is what the estimate reads.
        Assert.Equal(0, await page.Locator("[data-testid=run-base]").CountAsync());
        await Assertions.Expect(page.Locator("[data-testid=device-memory]")).ToContainTextAsync("Estimated");
        await page.Locator("[data-testid=run-data] textarea, textarea[data-testid=run-data]").First.FillAsync(data);
        var stageInputs = page.Locator("[data-testid=stage-row] input");
        await stageInputs.Nth(0).FillAsync("16");
        await stageInputs.Nth(2).FillAsync("1");
        await BrowserFixture.ClickAndWaitForUrlAsync(page, "[data-testid=start-run]", "**/training/*", "[data-testid=run-error]");
        await page.Locator("h4", new() { HasTextString = name }).WaitForAsync();
        await page.Locator("[data-testid=run-status]", new() { HasTextString = "Succeeded" }).WaitForAsync(new() { Timeout = 120_000 });
        var runId = long.Parse(page.Url.Split('/')[^1], System.Globalization.CultureInfo.InvariantCulture);
        var stored = await app.Services.GetRequiredService<SelfLong.Jobs.Training.TrainingRunService>().FindAsync(runId, TestContext.Current.CancellationToken);
        Assert.Equal(checkpoint.Folder, SelfLong.Jobs.Training.TrainingRunSpec.FromJson(stored!.SpecJson).Base);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task NewRunDialog_Presets_FillTheStageTableWithEstimatesAndWarnOnACheckpointAtItsOwnLength()
    {
        var baseFolder = Path.Combine(dataDir, "base");
        Directory.CreateDirectory(baseFolder);
        File.WriteAllText(Path.Combine(baseFolder, "config.json"), SelfLong.Jobs.Models.SelfLongTiny.Config(maxPositions: 512, ropeTheta: 10_000).ToJson());

        var page = await browser.OpenSignedInAsync(app, "/training");
        await page.ClickAsync("[data-testid=new-training-run]");
        var rows = page.Locator("[data-testid=stage-row]");
        var estimates = page.Locator("[data-testid=stage-estimate]");

        await page.ClickAsync("[data-testid=preset-paper]");
        await Assertions.Expect(rows).ToHaveCountAsync(3);
        string[] lengths = ["262144", "524288", "1048576"], thetas = ["2000000", "8000000", "32000000"];
        for (var i = 0; i < 3; i++)
        {
            await Assertions.Expect(rows.Nth(i).Locator("input").Nth(0)).ToHaveValueAsync(lengths[i]);
            await Assertions.Expect(rows.Nth(i).Locator("input").Nth(1)).ToHaveValueAsync(thetas[i]);
            // SelfLong-Tiny at these lengths, batch 4, needs more than the suite's 4 GiB device.
            await Assertions.Expect(estimates.Nth(i)).ToContainTextAsync("GiB (does not fit)");
        }
        await Assertions.Expect(page.Locator("[data-testid=device-memory]")).ToContainTextAsync("(4 GiB)");

        await page.Locator("[data-testid=preset-stages] input, input[data-testid=preset-stages]").First.FillAsync("2");
        await page.Keyboard.PressAsync("Tab");
        await page.ClickAsync("[data-testid=preset-from-base]");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await Assertions.Expect(rows.Nth(0).Locator("input").Nth(0)).ToHaveValueAsync("512");
        await Assertions.Expect(rows.Nth(1).Locator("input").Nth(0)).ToHaveValueAsync("1024");
        await Assertions.Expect(estimates.Nth(1)).ToContainTextAsync("MiB");
        await Assertions.Expect(estimates.Nth(1)).Not.ToContainTextAsync("does not fit");
        Assert.Equal(0, await page.Locator("[data-testid=stage-warning]").CountAsync());

        // A checkpoint trained to 512 positions, with stage 1 at 512: warned, not refused.
        await page.GetByText("Checkpoint folder", new() { Exact = true }).ClickAsync();
        await page.Locator("[data-testid=run-base] input, input[data-testid=run-base]").First.FillAsync(baseFolder);
        await page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(page.Locator("[data-testid=stage-warning]")).ToContainTextAsync("is not longer than the base model's max_position_embeddings (512)");
        await page.ClickAsync("[data-testid=preset-from-base]");
        await Assertions.Expect(rows.Nth(0).Locator("input").Nth(0)).ToHaveValueAsync("1024");
        await Assertions.Expect(page.Locator("[data-testid=stage-warning]")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task NewRunDialog_MissingDataFile_ShowsErrorInDialog()
    {
        var page = await browser.OpenSignedInAsync(app, "/training");
        await page.ClickAsync("[data-testid=new-training-run]");
        await page.Locator("[data-testid=run-name] input, input[data-testid=run-name]").First.FillAsync("bad data");
        await page.Locator("[data-testid=run-data] textarea, textarea[data-testid=run-data]").First.FillAsync(Path.Combine(dataDir, "nope.jsonl"));
        await page.ClickAsync("[data-testid=start-run]");
        await page.Locator("[data-testid=run-error]").WaitForAsync();
        Assert.Contains(ServerPaths.Refusal(ServerPathKind.File), await page.Locator("[data-testid=run-error]").InnerTextAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task NewRunDialog_UnknownCorpus_ShowsErrorInDialog()
    {
        var page = await browser.OpenSignedInAsync(app, "/training");
        await page.ClickAsync("[data-testid=new-training-run]");
        await page.Locator("[data-testid=run-name] input, input[data-testid=run-name]").First.FillAsync("unknown corpus");
        await page.Locator("[data-testid=run-corpus-text] textarea, textarea[data-testid=run-corpus-text]").First.FillAsync("987654321:2");
        await page.ClickAsync("[data-testid=start-run]");
        await page.Locator("[data-testid=run-error]").WaitForAsync();
        Assert.Contains("Corpus #987654321 does not exist.", await page.Locator("[data-testid=run-error]").InnerTextAsync());

        // Needle drills are checked where they are asked for: the dialog's default first stage (128
        // bytes) is too short to hold one.
        await page.Locator("[data-testid=run-corpus-text] textarea, textarea[data-testid=run-corpus-text]").First.FillAsync("");
        await page.Locator("[data-testid=run-needle-drills] textarea, textarea[data-testid=run-needle-drills]").First.FillAsync("987654322:6");
        await page.ClickAsync("[data-testid=start-run]");
        await Assertions.Expect(page.Locator("[data-testid=run-error]")).ToContainTextAsync("Stage length 128 is too short for a needle drill");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task NewRunDialog_ExternalTrainer_CreatesARunWithNoJobWhosePageOffersTheExport()
    {
        var data = Path.Combine(dataDir, "external.jsonl");
        File.WriteAllLines(data, TrainingTestData.Patterns().Select(s => System.Text.Json.JsonSerializer.Serialize(new { text = s.Response })));
        var name = $"ext-{Guid.NewGuid():N}"[..12];

        var page = await browser.OpenSignedInAsync(app, "/training");
        await page.ClickAsync("[data-testid=new-training-run]");
        await page.Locator("[data-testid=run-name] input, input[data-testid=run-name]").First.FillAsync(name);
        await page.Locator("[data-testid=run-data] textarea, textarea[data-testid=run-data]").First.FillAsync(data);
        await page.ClickAsync("[data-testid=run-where-external]");
        await Assertions.Expect(page.Locator("[data-testid=start-run]")).ToHaveTextAsync("Create");
        await BrowserFixture.ClickAndWaitForUrlAsync(page, "[data-testid=start-run]", "**/training/*", "[data-testid=run-error]");
        await page.Locator("h4", new() { HasTextString = name }).WaitForAsync();
        await Assertions.Expect(page.Locator("[data-testid=run-external]")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-testid=run-status]")).ToContainTextAsync("Queued");
        // Its next step is the export: the fields are there without asking.
        await Assertions.Expect(page.Locator("[data-testid=axolotl-export-button]")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-testid=cancel-run]")).ToHaveTextAsync("Stop following");
        var runId = long.Parse(page.Url.Split('/')[^1], System.Globalization.CultureInfo.InvariantCulture);
        var run = (await app.Services.GetRequiredService<SelfLong.Jobs.Training.TrainingRunService>().FindAsync(runId, TestContext.Current.CancellationToken))!;
        Assert.Equal((name, true, null), (run.Name, run.External, run.HangfireJobId));
        // The run list says where it trains.
        await page.GotoAsync("/training");
        await Assertions.Expect(page.Locator("[data-testid=training-runs] tr", new() { HasTextString = name })).ToContainTextAsync("External trainer");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task NewRunDialog_UploadedDataFile_RefusedThenStoredTickedAndTheRunNamesIt()
    {
        var name = $"upl-{Guid.NewGuid():N}"[..12];
        var good = Path.Combine(dataDir, $"{name}.jsonl");
        File.WriteAllLines(good, TrainingTestData.Patterns().Select(s => System.Text.Json.JsonSerializer.Serialize(new { text = s.Response })));
        var bad = Path.Combine(dataDir, $"{name}-bad.jsonl");
        File.WriteAllText(bad, "{\"text\": \"fine\"}\nnot json\n");

        var page = await browser.OpenSignedInAsync(app, "/training");
        await page.ClickAsync("[data-testid=new-training-run]");
        await page.Locator("[data-testid=run-name] input, input[data-testid=run-name]").First.FillAsync(name);
        var upload = page.Locator("input[type=file][data-testid=upload-data-file]");
        await upload.SetInputFilesAsync(bad);
        await Assertions.Expect(page.Locator("[data-testid=data-file-message]")).ToContainTextAsync($"{name}-bad.jsonl line 2 is not JSON");
        await upload.SetInputFilesAsync(good);
        await Assertions.Expect(page.Locator("[data-testid=data-file-message]")).ToContainTextAsync($"{name}.jsonl: {TrainingTestData.Patterns().Count} samples stored");
        var ticked = page.GetByRole(AriaRole.Checkbox, new() { Name = $"{name}.jsonl:" });
        await Assertions.Expect(ticked).ToBeCheckedAsync();
        await page.ClickAsync("[data-testid=run-where-external]");
        await Assertions.Expect(page.Locator("[data-testid=start-run]")).ToHaveTextAsync("Create");
        await BrowserFixture.ClickAndWaitForUrlAsync(page, "[data-testid=start-run]", "**/training/*", "[data-testid=run-error]");
        var runId = long.Parse(page.Url.Split('/')[^1], System.Globalization.CultureInfo.InvariantCulture);
        var run = (await app.Services.GetRequiredService<SelfLong.Jobs.Training.TrainingRunService>().FindAsync(runId, TestContext.Current.CancellationToken))!;
        var data = Assert.Single(SelfLong.Jobs.Training.TrainingRunSpec.FromJson(run.SpecJson).Data);
        Assert.StartsWith(Path.Combine(app.StorageRoot, "data-files"), data.Path);
        Assert.Equal(File.ReadAllText(good), File.ReadAllText(data.Path));
        await page.Context.CloseAsync();
    }
}

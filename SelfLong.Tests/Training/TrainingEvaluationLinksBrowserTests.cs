using Deque.AxeCore.Playwright;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using SelfLong.Data;
using SelfLong.Data.Evaluation;
using SelfLong.Data.Runs;
using SelfLong.Data.Training;
using SelfLong.Jobs.Training;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Training;

[NeedsBrowser]
public sealed class TrainingEvaluationLinksBrowserTests(AppFixture app, BrowserFixture browser)
{
    [Fact]
    public async Task CheckpointEvaluation_LinksToItsRunAndStage_AndTheRunListsItsEvaluations()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = $"links-{Guid.NewGuid():N}"[..16];
        // The run wrote its checkpoints through a link to its folder; the evaluation stored the real
        // path (as evaluations of local checkpoints do): still the same checkpoint.
        var root = Directory.CreateTempSubdirectory("selflong-links-").FullName;
        var real = Directory.CreateDirectory(Path.Combine(root, "real")).FullName;
        Directory.CreateDirectory(Path.Combine(real, "step-000010"));
        Directory.CreateDirectory(Path.Combine(real, "step-000020"));
        var linked = Path.Combine(root, "linked");
        Directory.CreateSymbolicLink(linked, real);

        long trainingId, stageOneId, stageTwoId, otherId;
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(ct))
        {
            var training = new TrainingRun
            {
                Name = name, Status = RunStatus.Succeeded, TotalSteps = 20, CurrentStep = 20, CurrentStage = 1, OutputDirectory = linked,
                SpecJson = new TrainingRunSpec { Stages = [new TrainingStage(256, 10_000, 10, 1e-3), new TrainingStage(512, 40_000, 10, 1e-3)] }.ToJson(),
                Checkpoints =
                [
                    new() { Path = Path.Combine(linked, "step-000010"), GlobalStep = 10, Stage = 0, StageEnd = true, RopeTheta = 10_000, MaxLength = 256 },
                    new() { Path = Path.Combine(linked, "step-000020"), GlobalStep = 20, Stage = 1, StageEnd = true, RopeTheta = 40_000, MaxLength = 512 },
                ],
            };
            db.TrainingRuns.Add(training);
            var stageOne = Evaluation($"{name} stage 1 NIAH", Path.Combine(real, "step-000010"), RunStatus.Succeeded);
            stageOne.NiahCells = [Cell(256, 0, 1.0), Cell(256, 100, 0.5), Cell(512, 0, 0.0)];
            var stageTwo = Evaluation($"{name} stage 2 NIAH", Path.Combine(real, "step-000020"), RunStatus.Failed);
            // Same folder name elsewhere: another run's checkpoint, not this one's.
            var elsewhere = Directory.CreateDirectory(Path.Combine(root, "other", "step-000020")).FullName;
            var other = Evaluation($"{name} unrelated", elsewhere, RunStatus.Succeeded);
            db.EvaluationRuns.AddRange(stageOne, stageTwo, other);
            await db.SaveChangesAsync(ct);
            (trainingId, stageOneId, stageTwoId, otherId) = (training.Id, stageOne.Id, stageTwo.Id, other.Id);
        }

        var page = await browser.OpenSignedInAsync(app, $"/evaluation/{stageOneId}");
        var origin = page.Locator("[data-testid=run-origin]");
        await Assertions.Expect(origin).ToContainTextAsync($"training run #{trainingId} {name}");
        await Assertions.Expect(origin).ToContainTextAsync("stage 1, step 10 (stage end)");
        await origin.Locator("a", new() { HasTextString = "training run" }).ClickAsync();
        await page.WaitForURLAsync(url => url.EndsWith($"/training/{trainingId}", StringComparison.Ordinal));

        var rows = page.Locator("[data-testid=run-evaluation]");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await Assertions.Expect(rows.Nth(0)).ToContainTextAsync($"{name} stage 1 NIAH");
        await Assertions.Expect(rows.Nth(0)).ToContainTextAsync("stage 1, step 10");
        await Assertions.Expect(rows.Nth(0).Locator("[data-testid=run-status]")).ToHaveTextAsync("Succeeded");
        // Mean cell score by length: (1.0 + 0.5) / 2 at 256, 0.0 at 512.
        await Assertions.Expect(rows.Nth(0).Locator("[data-testid=evaluation-scores]")).ToHaveTextAsync("mean score: 256 0.75 · 512 0.00");
        await Assertions.Expect(rows.Nth(1)).ToContainTextAsync("stage 2, step 20");
        await Assertions.Expect(rows.Nth(1).Locator("[data-testid=run-status]")).ToHaveTextAsync("Failed");
        await Assertions.Expect(rows.Nth(1).Locator("[data-testid=evaluation-scores]")).ToHaveTextAsync("none yet");
        Assert.DoesNotContain($"{name} unrelated", await page.Locator("[data-testid=run-evaluations]").InnerTextAsync());
        Assert.Equal($"/evaluation/compare?ids={stageOneId},{stageTwoId}", await page.Locator("[data-testid=compare-evaluations]").GetAttributeAsync("href"));
        var axe = await page.RunAxe();
        var findings = axe.Violations.Where(v => v.Impact is "serious" or "critical").Select(v => $"{v.Id}: {v.Help}").ToList();
        Assert.True(findings.Count == 0, string.Join("\n", findings));

        // An evaluation of a folder no training run wrote claims no origin.
        await page.GotoAsync($"/evaluation/{otherId}");
        await BrowserFixture.WaitForInteractiveAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=run-target]")).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator("[data-testid=run-origin]").CountAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task CheckpointRowEvaluate_Ruler_OpensTheFormWithCheckpointTokenizerAndTrainingLength()
    {
        var ct = TestContext.Current.CancellationToken;
        var name = $"eval-{Guid.NewGuid():N}"[..16];
        var root = Directory.CreateTempSubdirectory("selflong-evaluate-").FullName;
        // A SelfLong-Tiny folder: its byte tokenizer's marker says how it reads text.
        var folders = new[] { "step-000010", "step-000020" }.Select(f => Directory.CreateDirectory(Path.Combine(root, f)).FullName).ToArray();
        foreach (var folder in folders) File.WriteAllText(Path.Combine(folder, SelfLong.Jobs.Models.ByteTokenizer.MarkerFile), "{}");
        long trainingId;
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(ct))
        {
            var training = new TrainingRun
            {
                Name = name, Status = RunStatus.Succeeded, TotalSteps = 20, CurrentStep = 20, CurrentStage = 1, OutputDirectory = root,
                SpecJson = new TrainingRunSpec { Stages = [new TrainingStage(256, 10_000, 10, 1e-3), new TrainingStage(1536, 40_000, 10, 1e-3)] }.ToJson(),
                Checkpoints =
                [
                    new() { Path = folders[0], GlobalStep = 10, Stage = 0, StageEnd = true, RopeTheta = 10_000, MaxLength = 256 },
                    new() { Path = folders[1], GlobalStep = 20, Stage = 1, StageEnd = true, RopeTheta = 40_000, MaxLength = 1536 },
                ],
            };
            db.TrainingRuns.Add(training);
            await db.SaveChangesAsync(ct);
            trainingId = training.Id;
        }

        var page = await browser.OpenSignedInAsync(app, $"/training/{trainingId}");
        var row = page.Locator("[data-testid=checkpoints] tr", new() { HasTextString = folders[1] });
        await row.Locator("[data-testid=evaluate-checkpoint] a", new() { HasTextString = "RULER" }).ClickAsync();
        await page.WaitForURLAsync("**/evaluation?kind=Ruler*");
        await BrowserFixture.WaitForInteractiveAsync(page);
        var form = page.Locator("[data-testid=new-evaluation-form]");
        await Assertions.Expect(form.GetByLabel("Checkpoint folder")).ToHaveValueAsync(folders[1]);
        await Assertions.Expect(form.GetByLabel("Training length", new() { Exact = true })).ToHaveValueAsync("1536");
        await Assertions.Expect(form.GetByLabel("Max length (tokens)")).ToHaveValueAsync("3072");
        // RULER at the training length and twice it.
        await Assertions.Expect(form.GetByLabel("Lengths", new() { Exact = true })).ToHaveValueAsync("1536, 3072");
        await Assertions.Expect(form.GetByLabel("Name", new() { Exact = true })).ToHaveValueAsync($"{name} stage 2 step 20 Ruler");
        await Assertions.Expect(form.Locator("[data-testid=evaluation-kind]")).ToContainTextAsync("RULER");
        await Assertions.Expect(page.Locator("[data-testid=prefill-note]")).ToContainTextAsync("(bytes)");
        await page.Context.CloseAsync();
        Directory.Delete(root, recursive: true);
    }

    private static EvaluationRun Evaluation(string name, string folder, RunStatus status) => new()
    {
        Name = name, Kind = EvaluationKind.Niah, Status = status, TargetKind = EvaluationTargetKind.LocalCheckpoint, TargetLocation = folder,
        Tokenizer = "bytes", MaxLength = 512, TrainingLength = 256, SettingsJson = """{"lengths":[256,512],"depths":[0,100]}""", TotalItems = 4,
    };

    private static NiahCell Cell(int length, int depth, double score) =>
        new() { ContextLength = length, DepthPercent = depth, Score = score, Response = "reply", PromptHash = "00" };
}

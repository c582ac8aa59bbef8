using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SelfLong.Data;
using SelfLong.Data.Demo;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Ingestion;
using SelfLong.Jobs.Demo;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.Ruler;
using SelfLong.Jobs.Synthesis;
using SelfLong.Jobs.Training;
using SelfLong.Jobs.Training.Drills;
using SelfLong.Jobs.Models;
using SelfLong.Tests.Infrastructure;
using SelfLong.Data.Runs;

namespace SelfLong.Tests.Foundation;

[NeedsDatabase]
public sealed class DemoPipelineTests(AppFixture app)
{
    /// <summary>The real chain at toy sizes: 3 samples, 2 steps per stage, a few cells per checkpoint.</summary>
    private static DemoOptions Toy() => new()
    {
        Samples = 3, Stages = 2, StepsPerStage = 2, FirstLength = 256, BatchSize = 2, DrillsPerLength = 20, RulerDrillsPerLength = 20, BaseCheckpoint = "",
        NiahLengths = [512, 1024], NiahDepths = [50], RulerLengths = [1024], RulerTasks = ["niah_single_1", "vt"], RulerSamples = 1,
    };

    private async Task<(DemoRun Demo, List<string> Steps)> RunAsync(DemoOptions options, CancellationToken ct)
    {
        var s = app.Services;
        var pipeline = new DemoPipeline(s.GetRequiredService<IDbContextFactory<SelfLongDbContext>>(), s.GetRequiredService<DemoCorpora>(),
            s.GetRequiredService<IngestionService>(), s.GetRequiredService<ModelEndpointService>(), s.GetRequiredService<SynthesisRunService>(),
            s.GetRequiredService<TrainingRunService>(), s.GetRequiredService<EvaluationService>(),
            s.GetRequiredService<SelfLong.Jobs.Progress.ProgressPublisher>(), Options.Create(options));
        var demo = await s.GetRequiredService<DemoService>().CreateAsync(ct);
        var steps = new List<string>();
        await pipeline.RunAsync(demo.Id, steps.Add, ct);
        await using var db = await s.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(ct);
        return (await db.DemoRuns.SingleAsync(d => d.Id == demo.Id, ct), steps);
    }

    [Fact]
    public async Task RunAsync_SmallDemoFromScratch_ChainsEveryStepAndEvaluatesEachStage()
    {
        var ct = TestContext.Current.CancellationToken;
        var (demo, steps) = await RunAsync(Toy(), ct);

        await using var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(ct);
        Assert.Equal(RunStatus.Succeeded, demo.Status);
        Assert.Null(demo.Message);
        Assert.Equal(["Ingesting", "Synthesizing", "Training", "Measuring", "Evaluating", "done"], steps.Where(l => !l.StartsWith(' ')).Select(l => l.Split(' ')[0]));
        var curves = PerplexityCurve.FromJson(demo.PerplexityJson);
        Assert.Equal(3, curves.Count);
        // Buckets double from half the first stage's length up to the longest NIAH length.
        Assert.All(curves, c => Assert.Equal([(0, 128), (128, 256), (256, 512), (512, 1024)], c.Buckets.Select(b => (b.From, b.To))));
        Assert.All(curves.SelectMany(c => c.Buckets), b => Assert.True(b.MeanNll > 0 && double.IsFinite(b.MeanNll)));
        Assert.Equal(3, await db.SynthesisSamples.CountAsync(x => x.RunId == demo.SynthesisRunId, ct));
        var checkpoints = await db.TrainingCheckpoints.Where(c => c.RunId == demo.TrainingRunId && c.StageEnd).OrderBy(c => c.Stage).ToListAsync(ct);
        Assert.Equal([256, 512], checkpoints.Select(c => c.MaxLength));
        var spec = TrainingRunSpec.FromJson((await db.TrainingRuns.SingleAsync(r => r.Id == demo.TrainingRunId, ct)).SpecJson);
        Assert.Equal(TrainingRunSpec.TinyBase, spec.Base);
        // Pass-key drills, and RULER drills (made for the 512-byte stage only: 256 bytes hold no RULER template).
        Assert.Equal([(NeedleDrillFormat.PassKey, demo.CorpusId), (NeedleDrillFormat.Ruler, demo.CorpusId)],
            spec.NeedleDrills.Select(d => (d.Format, (long?)d.CorpusId)));

        // One NIAH and one RULER run for each stage plus the theta-only control, all finished;
        // the NIAH grids plant the demo's pass key.
        var niah = demo.NiahRunIds.Split(',').Select(long.Parse).ToList();
        Assert.Equal(3, niah.Count);
        var runs = await db.EvaluationRuns.Where(r => niah.Contains(r.Id)).ToListAsync(ct);
        Assert.All(runs, r => Assert.Equal(RunStatus.Succeeded, r.Status));
        Assert.All(runs, r => Assert.Contains($"#{PassKeyNeedle.EvaluationKey}", r.SettingsJson));
        Assert.Equal(6, await db.NiahCells.CountAsync(c => niah.Contains(c.RunId), ct));
        Assert.Contains(runs, r => r.Name.Contains("no training") && r.TargetLocation!.EndsWith("-theta-only"));
        // RULER runs at a length every checkpoint is asked to take: each scores its two tasks.
        var ruler = demo.RulerRunIds.Split(',').Select(long.Parse).ToList();
        var rulerRuns = await db.EvaluationRuns.Where(r => ruler.Contains(r.Id)).ToListAsync(ct);
        Assert.Equal(3, rulerRuns.Count);
        Assert.All(rulerRuns, r => Assert.Equal((RunStatus.Succeeded, 2, 2), (r.Status, r.DoneItems, r.TotalItems)));
        Assert.Equal(6, await db.RulerSamples.CountAsync(x => ruler.Contains(x.RunId) && x.Length == 1024, ct));
        Assert.Equal(3, steps.Count(l => l.StartsWith("  Demo ") && l.Contains("NIAH") && l.Contains("1024 bytes")));
        Assert.StartsWith("/evaluation/compare?ids=", DemoService.CompareUrl(demo));

        // What `./selflong demo` prints: each stage's RULER average and NIAH mean, as stored.
        var report = JsonDocument.Parse(JsonSerializer.Serialize(
            await DemoReport.BuildAsync(app.Services.GetRequiredService<EvaluationService>(), demo, TimeSpan.FromSeconds(1), ct))).RootElement;
        Assert.Equal("Succeeded", report.GetProperty("status").GetString());
        var rulerRows = report.GetProperty("ruler").EnumerateArray().ToList();
        Assert.Equal(ruler, rulerRows.Select(r => r.GetProperty("run_id").GetInt64()));
        foreach (var row in rulerRows)
        {
            var id = row.GetProperty("run_id").GetInt64();
            Assert.Equal(["niah_single_1", "vt"], row.GetProperty("tasks").EnumerateArray().Select(t => t.GetString()));
            var stored = await db.RulerSamples.Where(x => x.RunId == id).GroupBy(x => x.Task).Select(g => g.Average(x => x.Score)).ToListAsync(ct);
            Assert.Equal(Math.Round(100 * stored.Average(), 1), row.GetProperty("average_by_length").GetProperty("1024").GetDouble(), 6);
        }
        foreach (var row in report.GetProperty("niah").EnumerateArray())
        {
            var id = row.GetProperty("run_id").GetInt64();
            var mean = await db.NiahCells.Where(c => c.RunId == id).AverageAsync(c => c.Score, ct);
            Assert.Equal(Math.Round(mean, 3), row.GetProperty("mean_score").GetDouble(), 6);
        }
    }

    [Fact]
    public void RulerTaskNames_DefaultOptions_TasksWhosePromptFitsTheShortestLengthInBytes()
    {
        var folder = Directory.CreateTempSubdirectory("selflong-demo-tasks-").FullName;
        try
        {
            Synthesis.TinyCheckpoint.Save(folder, 64, seed: 5, layers: 1);
            using var checkpoint = LocalCheckpoint.Load(folder);
            var options = new DemoOptions();

            var tasks = options.RulerTaskNames(checkpoint.ChatOverheadTokens);

            // Within reach of every checkpoint the demo evaluates (the NIAH grid's longest length).
            Assert.True(options.RulerLengths.Max() <= options.NiahLengths.Max());
            Assert.Contains("niah_single_1", tasks);
            Assert.DoesNotContain(tasks, t => t.StartsWith("qa_"));
            var generator = new RulerGenerator(RulerResources.Create(ByteTokenizer.Instance));
            foreach (var task in RulerTask.All.Where(t => t.Family != RulerFamily.Qa))
            {
                var fits = true;
                try { generator.Generate(task, options.RulerLengths.Min(), 0, reservedTokens: checkpoint.ChatOverheadTokens); }
                catch (ArgumentException) { fits = false; }
                Assert.True(fits == tasks.Contains(task.Name), $"{task.Name}: fits {fits}; chosen {string.Join(",", tasks)}");
            }
            // Every sample the demo's RULER runs ask for generates: one refused sample fails its whole run.
            foreach (var name in tasks)
                foreach (var length in options.RulerLengths)
                    for (var index = 0; index < options.RulerSamples; index++)
                        generator.Generate(RulerTask.Find(name), length, index, reservedTokens: checkpoint.ChatOverheadTokens);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task RunAsync_TrainBaseThenExtendIt_LaterStagesStartFromTheBase()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = Directory.CreateTempSubdirectory("selflong-demo-base-").FullName;
        try
        {
            var (based, baseSteps) = await RunAsync(Toy().WithBase(trainTo: folder), ct);
            Assert.Equal(RunStatus.Succeeded, based.Status);
            Assert.Equal("", based.NiahRunIds); // no evaluation when only the base is trained
            Assert.StartsWith("Saved the stage-1 base", baseSteps[^2]);
            // Model files only: the shipped base carries no optimizer or trainer state.
            Assert.Equal(["config.json", "model.safetensors", ByteTokenizer.MarkerFile],
                Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));

            var (demo, _) = await RunAsync(Toy().WithBase(from: folder), ct);
            Assert.Equal(RunStatus.Succeeded, demo.Status);
            await using var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(ct);
            var spec = TrainingRunSpec.FromJson((await db.TrainingRuns.SingleAsync(r => r.Id == demo.TrainingRunId, ct)).SpecJson);
            Assert.Equal(folder, spec.Base);
            Assert.Equal([512], spec.Stages.Select(st => st.MaxLength));
            var niah = demo.NiahRunIds.Split(',').Select(long.Parse).ToList();
            var names = await db.EvaluationRuns.Where(r => niah.Contains(r.Id)).OrderBy(r => r.Id).Select(r => r.Name).ToListAsync(ct);
            Assert.Equal(3, names.Count);
            Assert.Contains("no training", names[0]);
            Assert.Contains("stage 1 (256 bytes, theta 10000), shipped", names[1]);
            Assert.Contains("stage 2 (512 bytes, theta 40000)", names[2]);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

internal static class DemoOptionsForTests
{
    public static DemoOptions WithBase(this DemoOptions options, string? trainTo = null, string? from = null)
    {
        options.TrainBaseTo = trainTo;
        options.BaseSteps = 2;
        options.BaseCheckpoint = from ?? "";
        return options;
    }
}

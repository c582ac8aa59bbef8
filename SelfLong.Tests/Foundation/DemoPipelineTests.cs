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
using SelfLong.Jobs.Synthesis;
using SelfLong.Jobs.Training;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Foundation;

public sealed class DemoPipelineTests(AppFixture app)
{
    [Fact]
    public async Task RunAsync_SmallDemo_ChainsEveryStepAndEvaluatesEachStage()
    {
        var ct = TestContext.Current.CancellationToken;
        var s = app.Services;
        // The real chain at toy sizes: 3 samples, 2 steps per stage, a few cells per checkpoint.
        var options = new DemoOptions
        {
            Samples = 3, Stages = 2, StepsPerStage = 2, FirstLength = 256,
            NiahLengths = [512, 1024], NiahDepths = [50], RulerLengths = [2048], RulerTasks = ["niah_single_1", "vt"],
        };
        var pipeline = new DemoPipeline(s.GetRequiredService<IDbContextFactory<SelfLongDbContext>>(), s.GetRequiredService<DemoCorpora>(),
            s.GetRequiredService<IngestionService>(), s.GetRequiredService<ModelEndpointService>(), s.GetRequiredService<SynthesisRunService>(),
            s.GetRequiredService<TrainingRunService>(), s.GetRequiredService<EvaluationService>(),
            s.GetRequiredService<SelfLong.Jobs.Progress.ProgressPublisher>(), Options.Create(options));
        var demos = s.GetRequiredService<DemoService>();
        var demo = await demos.CreateAsync(ct);
        var steps = new List<string>();

        await pipeline.RunAsync(demo.Id, steps.Add, ct);

        await using var db = await s.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(ct);
        demo = await db.DemoRuns.SingleAsync(d => d.Id == demo.Id, ct);
        Assert.Equal(DemoStatus.Succeeded, demo.Status);
        Assert.Null(demo.Message);
        Assert.Equal(["Ingesting", "Synthesizing", "Training", "Measuring", "Evaluating", "done"], steps.Where(l => !l.StartsWith(' ')).Select(l => l.Split(' ')[0]));
        var curves = PerplexityByPosition.FromJson(demo.PerplexityJson);
        Assert.Equal(3, curves.Count);
        // Buckets double from half the first stage's length up to the longest NIAH length.
        Assert.All(curves, c => Assert.Equal([(0, 128), (128, 256), (256, 512), (512, 1024)], c.Buckets.Select(b => (b.From, b.To))));
        Assert.All(curves.SelectMany(c => c.Buckets), b => Assert.True(b.MeanNll > 0 && double.IsFinite(b.MeanNll)));
        Assert.Equal(3, await db.SynthesisSamples.CountAsync(x => x.RunId == demo.SynthesisRunId, ct));
        var checkpoints = await db.TrainingCheckpoints.Where(c => c.RunId == demo.TrainingRunId && c.StageEnd).OrderBy(c => c.Stage).ToListAsync(ct);
        Assert.Equal([256, 512], checkpoints.Select(c => c.MaxLength));

        // One NIAH and one RULER run for each stage plus the theta-only control, all finished.
        var niah = demo.NiahRunIds.Split(',').Select(long.Parse).ToList();
        Assert.Equal(3, niah.Count);
        var runs = await db.EvaluationRuns.Where(r => niah.Contains(r.Id)).ToListAsync(ct);
        Assert.All(runs, r => Assert.Equal(EvaluationStatus.Succeeded, r.Status));
        Assert.Equal(6, await db.NiahCells.CountAsync(c => niah.Contains(c.RunId), ct));
        Assert.Contains(runs, r => r.Name.Contains("no training") && r.TargetLocation!.EndsWith("-theta-only"));
        Assert.StartsWith("/evaluation/compare?ids=", DemoService.CompareUrl(demo));
    }
}

using SelfLong.Jobs.Models;
using SelfLong.Jobs.Training;
using static TorchSharp.torch;

namespace SelfLong.Tests.Training;

public sealed class ProgressiveTrainerTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("selflong-train-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private List<StepMetrics> Train(ProgressiveSchedule schedule, TrainingOptions options, string output, string? resumeFrom = null, int initSeed = 1)
    {
        manual_seed(initSeed);
        using var model = new LlamaForCausalLM(TrainingTestData.TinyConfig());
        var steps = new List<StepMetrics>();
        var trainer = new ProgressiveTrainer(model, ByteTokenizer.Instance, [(TrainingTestData.Patterns(), 1.0)], schedule, options, output)
        {
            OnStep = steps.Add,
        };
        trainer.Run(TestContext.Current.CancellationToken, resumeFrom);
        return steps;
    }

    [Fact]
    public void Run_TinyPatternTask_LossFalls()
    {
        var steps = Train(new([new TrainingStage(24, 10_000, 40, 1e-2)]), TrainingTestData.Options(), dir);

        Assert.Equal(40, steps.Count);
        var start = steps.Take(3).Average(s => s.Loss);
        var end = steps.TakeLast(5).Average(s => s.Loss);
        Assert.True(end < start * 0.6, $"loss went from {start:F3} to {end:F3}");
        Assert.All(steps, s => Assert.True(s.TokensPerSecond > 0));
    }

    [Fact]
    public void Run_ResumedFromCheckpoint_ReproducesTheNextLosses()
    {
        var schedule = new ProgressiveSchedule([new TrainingStage(16, 10_000, 3, 5e-3), new TrainingStage(24, 40_000, 4, 5e-3)]);
        var full = Train(schedule, TrainingTestData.Options(checkpointEvery: 5), Path.Combine(dir, "a"));
        var checkpoint = Path.Combine(dir, "a", ProgressiveTrainer.CheckpointsFolder, "step-000005");
        Assert.True(Directory.Exists(checkpoint));

        // A fresh model with other random weights: everything must come from the checkpoint.
        var resumed = Train(schedule, TrainingTestData.Options(checkpointEvery: 5), Path.Combine(dir, "b"), checkpoint, initSeed: 99);

        Assert.Equal([6, 7], resumed.Select(s => s.GlobalStep));
        Assert.Equal(full.Skip(5).Select(s => s.Loss), resumed.Select(s => s.Loss));
        // The patterns are longer than both stages: run totals of cut samples grow and carry over.
        Assert.True(full[0].Truncation.CutSamples > 0 && full[^1].Truncation.CutTokens > full[0].Truncation.CutTokens);
        Assert.Equal(full.Skip(5).Select(s => s.Truncation), resumed.Select(s => s.Truncation));
    }

    [Fact]
    public void Run_TwoStageSchedule_SavesEachStageWithItsThetaAndLength()
    {
        var schedule = ProgressiveSchedule.PaperRule(firstLength: 16, firstTheta: 100, stages: 2, stepsPerStage: 2, learningRate: 1e-3);
        var steps = Train(schedule, TrainingTestData.Options(), dir);

        Assert.Equal([0, 0, 1, 1], steps.Select(s => s.Stage));
        var stages = Directory.GetDirectories(Path.Combine(dir, ProgressiveTrainer.CheckpointsFolder)).Order().ToList();
        Assert.Equal(["stage-1-step-000002", "stage-2-step-000004"], stages.Select(Path.GetFileName));
        var first = CheckpointFolder.LoadConfig(stages[0]);
        var second = CheckpointFolder.LoadConfig(stages[1]);
        Assert.Equal((100.0, 16), (first.RopeTheta, first.MaxPositionEmbeddings));
        Assert.Equal((400.0, 32), (second.RopeTheta, second.MaxPositionEmbeddings));
        using var checkpoint = LocalCheckpoint.Load(stages[1], CPU);
        Assert.Equal(400.0, checkpoint.RopeTheta);
        Assert.Equal(31, checkpoint.TokenNlls([.. Enumerable.Range(0, 32).Select(i => 97 + i % 4)]).Length);
    }

    [Fact]
    public void Run_GradientAccumulation_LossIsTheTokenMeanOfTheWholeStep()
    {
        // Two samples whose responses teach 3 and 27 tokens: a mean of the two micro-batch means
        // would weigh each short-answer token nine times as much as a long-answer one.
        IReadOnlyList<TrainingSample> samples =
        [
            new([new ChatMessage("user", "Q?")], "Ab", IsLong: false),
            new([new ChatMessage("user", "Q?")], "A much longer answer, here.", IsLong: false),
        ];
        var schedule = new ProgressiveSchedule([new TrainingStage(64, 10_000, 3, 5e-3)]);
        List<StepMetrics> Steps(int batchSize, int accumulation, string output)
        {
            manual_seed(1);
            using var model = new LlamaForCausalLM(TrainingTestData.TinyConfig());
            var steps = new List<StepMetrics>();
            var options = TrainingTestData.Options() with { BatchSize = batchSize, GradientAccumulation = accumulation, Packing = false };
            new ProgressiveTrainer(model, ByteTokenizer.Instance, [(samples, 1.0)], schedule, options, Path.Combine(dir, output)) { OnStep = steps.Add }
                .Run(TestContext.Current.CancellationToken);
            return steps;
        }

        var oneBatch = Steps(batchSize: 2, accumulation: 1, "one");
        var accumulated = Steps(batchSize: 1, accumulation: 2, "two");

        // Same samples, same order: the same token mean and the same gradient (its norm before
        // clipping) at every step.
        Assert.Equal(3, accumulated.Count);
        Assert.Equal(default, accumulated[^1].Truncation); // both samples fit: the test compares 3 and 28 learned tokens
        foreach (var (whole, split) in oneBatch.Zip(accumulated))
        {
            Assert.Equal(whole.Loss, split.Loss, 1e-5 * whole.Loss);
            Assert.Equal(whole.GradNorm, split.GradNorm, 1e-4 * whole.GradNorm);
        }
    }

    [Fact]
    public void LearningRateAt_WarmupThenCosine_RisesPeaksAndDecaysToFloor()
    {
        Assert.Equal(0.25, LearningRate.At(0, 100, 1.0, 4, 0.1), 12);
        Assert.Equal(1.0, LearningRate.At(4, 100, 1.0, 4, 0.1), 12);
        Assert.Equal(0.55, LearningRate.At(52, 100, 1.0, 4, 0.1), 12);
        Assert.Equal(0.1, LearningRate.At(100, 100, 1.0, 4, 0.1), 12);
    }
}

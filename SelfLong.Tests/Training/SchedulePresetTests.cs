using SelfLong.Jobs.Models;
using SelfLong.Jobs.Training;

namespace SelfLong.Tests.Training;

public sealed class SchedulePresetTests
{
    private static LlamaConfig Base(int maxPositions, double ropeTheta) => SelfLongTiny.Config(maxPositions: maxPositions, ropeTheta: ropeTheta);

    [Fact]
    public void PaperLlama31_ThreeStages_AreThePapersTable()
    {
        var schedule = SchedulePresets.PaperLlama31(stepsPerStage: 50, learningRate: 1e-5);

        Assert.Equal([(262_144, 2e6), (524_288, 8e6), (1_048_576, 32e6)], schedule.Stages.Select(s => (s.MaxLength, s.RopeTheta)));
        Assert.All(schedule.Stages, s => Assert.Equal((50, 1e-5), (s.Steps, s.LearningRate)));
    }

    [Fact]
    public void Build_FromBaseOfLlama31Shape_EqualsThePapersTable()
    {
        var llama31 = LlamaShapes.Known["llama-3.1-8b"]();

        var fromBase = SchedulePresets.Build(SchedulePresets.FromBase, llama31, stages: 3, stepsPerStage: 10, learningRate: 1e-5);

        Assert.Equal(SchedulePresets.Build(SchedulePresets.Paper, llama31, stages: 1, stepsPerStage: 10, learningRate: 1e-5).Stages, fromBase.Stages);
    }

    [Fact]
    public void FromBaseModel_TinyConfig_StartsOneStepBeyondTheBase()
    {
        var schedule = SchedulePresets.FromBaseModel(SelfLongTiny.Config(), stages: 3, stepsPerStage: 20, learningRate: 1e-3);

        Assert.Equal([(512, 40_000.0), (1024, 160_000.0), (2048, 640_000.0)], schedule.Stages.Select(s => (s.MaxLength, s.RopeTheta)));
    }

    [Fact]
    public void FromBaseModel_PastTheLongestLength_ThrowsSayingToChooseFewerStages()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => SchedulePresets.FromBaseModel(Base(131_072, 5e5), stages: 15, 1, 1e-3));

        Assert.Contains("choose fewer stages", error.Message);
    }

    [Fact]
    public void Build_UnknownPreset_ThrowsNamingThePresets()
    {
        var error = Assert.Throws<ArgumentException>(() => SchedulePresets.Build("llama", SelfLongTiny.Config(), 2, 1, 1e-3));

        Assert.Contains("\"paper\" or \"from-base\"", error.Message);
    }

    [Theory]
    [InlineData(128)]
    [InlineData(256)]
    public void StageOneWarning_StageOneNotLongerThanTheBase_WarnsWithThePapersFirstStage(int firstLength)
    {
        var warning = SchedulePresets.StageOneWarning(Base(256, 10_000), [new TrainingStage(firstLength, 40_000, 1, 1e-3)]);

        Assert.NotNull(warning);
        Assert.Contains("not longer than the base model's max_position_embeddings (256)", warning);
        Assert.Contains("starts at 512 tokens, theta 40000", warning);
    }

    [Fact]
    public void StageOneWarning_StageOneLongerThanTheBase_IsNull()
    {
        Assert.Null(SchedulePresets.StageOneWarning(Base(256, 10_000), [new TrainingStage(512, 40_000, 1, 1e-3)]));
    }

    [Fact]
    public void TrainingPreview_CheckpointBaseAtItsOwnLength_WarnsButTinyFromScratchDoesNot()
    {
        var stages = new[] { new TrainingStage(256, 10_000, 1, 1e-3) };
        var device = new TrainingDevice(TrainingDevice.Cpu, 1L << 30);

        var checkpoint = TrainingPreview.For(new TrainingRunSpec { Base = "/models/base", Stages = stages }, Base(256, 10_000), device);
        var tiny = TrainingPreview.For(new TrainingRunSpec { Stages = stages }, Base(256, 10_000), device);

        Assert.Single(checkpoint.Warnings);
        Assert.Empty(tiny.Warnings);
    }
}

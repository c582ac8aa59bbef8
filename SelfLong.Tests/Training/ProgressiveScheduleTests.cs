using SelfLong.Jobs.Training;

namespace SelfLong.Tests.Training;

/// <summary>
/// The progressive schedule as numbers: the paper's rule (length x2, theta x4 per stage), the steps a
/// token budget buys, and the refusals of a schedule that cannot run, each naming its stage.
/// </summary>
public sealed class ProgressiveScheduleTests
{
    [Fact]
    public void PaperRule_ThreeStages_DoublesLengthAndQuadruplesTheta()
    {
        var schedule = ProgressiveSchedule.PaperRule(8192, 500_000, 3, 100, 2e-5);
        Assert.Equal([8192, 16384, 32768], schedule.Stages.Select(s => s.MaxLength));
        Assert.Equal([500_000.0, 2_000_000, 8_000_000], schedule.Stages.Select(s => s.RopeTheta));
        Assert.All(schedule.Stages, s => Assert.Equal((100, 2e-5, (long?)null), (s.Steps, s.LearningRate, s.Tokens)));
        schedule.Validate();
    }

    [Fact]
    public void PaperRule_OneStage_IsTheBaseItself()
    {
        var stage = Assert.Single(ProgressiveSchedule.PaperRule(256, 10_000, 1, 7, 1e-3).Stages);
        Assert.Equal(new TrainingStage(256, 10_000, 7, 1e-3), stage);
    }

    [Fact]
    public void PaperRule_NoStages_Refused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ProgressiveSchedule.PaperRule(256, 10_000, 0, 7, 1e-3));
        Assert.Equal("stages", error.ParamName);
    }

    [Theory]
    // Steps given, no budget: the steps.
    [InlineData(100, 12, null, 4, 12)]
    // 1000 tokens at 2 x 100 tokens a step: 5 steps; one token more needs a sixth.
    [InlineData(100, 0, 1000L, 2, 5)]
    [InlineData(100, 0, 1001L, 2, 6)]
    [InlineData(100, 0, 999L, 2, 5)]
    // A budget under one step, or none left, still runs one step.
    [InlineData(100, 0, 1L, 2, 1)]
    [InlineData(100, 0, 0L, 2, 1)]
    // Ten billion tokens at 4 x 131072 a step: 19073.49 steps, rounded up; the product passes int.MaxValue
    // only in long arithmetic (4 x 131072 x 19074 = 1e10 and more).
    [InlineData(131_072, 0, 10_000_000_000L, 4, 19_074)]
    public void StepCount_TokenBudget_StepsRoundedUp(int length, int steps, long? tokens, int tokensPerStepAtOneToken, int expected) =>
        Assert.Equal(expected, new TrainingStage(length, 10_000, steps, 1e-4, tokens).StepCount(tokensPerStepAtOneToken));

    public static TheoryData<TrainingStage, string> Unrunnable => new()
    {
        { new TrainingStage(7, 10_000, 10, 1e-4), "Stage 2: length 7 is too short (at least 8 tokens)." },
        { new TrainingStage(64, 0, 10, 1e-4), "Stage 2: RoPE theta must be positive." },
        { new TrainingStage(64, -1, 10, 1e-4), "Stage 2: RoPE theta must be positive." },
        { new TrainingStage(64, 10_000, 0, 1e-4), "Stage 2: give at least one step or a token budget." },
        { new TrainingStage(64, 10_000, 10, 0), "Stage 2: learning rate 0 is outside (0, 1]." },
        { new TrainingStage(64, 10_000, 10, -1e-4), "Stage 2: learning rate -0.0001 is outside (0, 1]." },
        { new TrainingStage(64, 10_000, 10, 1.5), "Stage 2: learning rate 1.5 is outside (0, 1]." },
    };

    [Theory]
    [MemberData(nameof(Unrunnable))]
    public void Validate_SecondStageCannotRun_RefusedNamingTheStage(TrainingStage second, string message)
    {
        var schedule = new ProgressiveSchedule([new TrainingStage(32, 10_000, 1, 1e-4), second]);
        Assert.Equal(message, Assert.Throws<ArgumentException>(schedule.Validate).Message);
    }

    [Fact]
    public void Validate_AtEachLimit_Accepted()
    {
        // The shortest length, the largest learning rate, no steps but a token budget, the smallest positive theta.
        new ProgressiveSchedule([new TrainingStage(8, double.Epsilon, 0, 1, Tokens: 100)]).Validate();
    }

    [Fact]
    public void Validate_NoStages_Refused() =>
        Assert.Equal("The schedule has no stages.", Assert.Throws<ArgumentException>(new ProgressiveSchedule([]).Validate).Message);
}

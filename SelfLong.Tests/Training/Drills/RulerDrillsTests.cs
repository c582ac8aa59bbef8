using SelfLong.Jobs.Evaluation.Ruler;
using SelfLong.Jobs.Models;
using SelfLong.Jobs.Training;
using SelfLong.Jobs.Training.Drills;

namespace SelfLong.Tests.Training.Drills;

public sealed class RulerDrillsTests
{
    private static readonly RulerGenerator Generator = new(RulerResources.Create(ByteTokenizer.Instance));

    [Fact]
    public void Generate_EveryDrillFitsItsStage_AndItsPromptIsWhatTheEvaluationGivesALocalCheckpoint()
    {
        var drills = RulerDrills.Generate(Generator, [1024], perLength: 40, seed: 7, ByteTokenizer.Instance);

        Assert.Equal(40, drills.Count);
        var builder = new BatchBuilder(ByteTokenizer.Instance, new LossRule());
        foreach (var drill in drills)
        {
            Assert.False(drill.IsLong); // only the answer is learned
            var learned = builder.Encode(drill);
            // RULER sizes a sample with room for its longest answer; the drill's answer may be shorter.
            Assert.InRange(learned.Ids.Length - 1, 1024 / 2 - RulerGenerator.UnitAllowance - RulerTask.All.Max(t => t.TokensToGenerate), 1024);
            // At evaluation a local checkpoint is given the user turn and the generation prompt, then the answer prefix:
            // the drill's tokens start the same way, and what it learns starts right there.
            var asked = ChatFormat.Encode(ByteTokenizer.Instance, [drill.Prompt.Single()], addGenerationPrompt: true).Ids;
            Assert.Equal(asked, learned.Ids.Take(asked.Count));
            Assert.Equal(asked.Count, Array.IndexOf(learned.Learn, true));
        }
    }

    [Theory]
    [InlineData("niah_single_1")]
    [InlineData("niah_multivalue")]
    [InlineData("vt")]
    [InlineData("fwe")]
    public void Response_AfterTheSamplesAnswerPrefix_ScoresFullMarks_AndWithoutItsReferencesNone(string name)
    {
        var task = RulerTask.Find(name);
        var sample = FirstSample(task, 1024);

        var response = RulerDrills.Response(task, sample);

        Assert.StartsWith(sample.AnswerPrefix + " ", response);
        var continuation = response[sample.AnswerPrefix.Length..];
        Assert.Equal(1.0, RulerMetrics.Score(task.Metric, continuation, sample.Outputs));
        Assert.Equal(0.0, RulerMetrics.Score(task.Metric, sample.AnswerPrefix, sample.Outputs));
    }

    [Fact]
    public void Generate_DrawsEveryTaskThatFitsTheStage_WithItsReferencesAfterTheTasksOwnPrefix()
    {
        var reserved = LocalCheckpoint.ChatOverhead(ByteTokenizer.Instance);
        var tasks = RulerDrills.TasksAt(Generator, 1024, reserved);
        var drills = RulerDrills.Generate(Generator, [1024], perLength: tasks.Count * 3, seed: 7, ByteTokenizer.Instance);

        // The demo's RULER run takes the same tasks at 1024 bytes: everything but cwe and qa.
        Assert.Equal(["niah_single_1", "niah_single_2", "niah_single_3", "niah_multikey_1", "niah_multikey_2", "niah_multikey_3",
            "niah_multivalue", "niah_multiquery", "vt", "fwe"], tasks.Select(t => t.Name));
        Assert.Equal(tasks.Count * 3, drills.Count);
        // Each task in turn: the NIAH variants' answers, then vt's and fwe's.
        Assert.Equal(tasks.Count(t => t.Family == RulerFamily.Niah) * 3, drills.Count(d => d.Response.StartsWith(" The special magic", StringComparison.Ordinal)));
        Assert.Contains(drills, d => d.Response.StartsWith(" The special magic number for ", StringComparison.Ordinal));
        Assert.Contains(drills, d => d.Response.StartsWith(" Answer: According to the chain(s) of variable", StringComparison.Ordinal));
        Assert.Contains(drills, d => d.Response.StartsWith(" Answer: According to the coded text above", StringComparison.Ordinal));
    }

    [Fact]
    public void Generate_StageTooShortForEveryTemplate_GetsNoDrills_WhileLongerStagesDo()
    {
        var drills = RulerDrills.Generate(Generator, [256, 512], perLength: 10, seed: 7, ByteTokenizer.Instance);

        Assert.Equal(10, drills.Count);
        Assert.All(drills, d => Assert.InRange(new BatchBuilder(ByteTokenizer.Instance, new LossRule()).Encode(d).Ids.Length - 1, 1, 512));
    }

    [Fact]
    public void Generate_NeverRepeatsAnEvaluationSample()
    {
        var reserved = LocalCheckpoint.ChatOverhead(ByteTokenizer.Instance);
        var drills = RulerDrills.Generate(Generator, [1024], perLength: 50, seed: 7, ByteTokenizer.Instance);
        // The demo's RULER run: seed 42, its first samples of every task.
        var evaluated = RulerDrills.TasksAt(Generator, 1024, reserved)
            .SelectMany(t => Enumerable.Range(0, 10).Select(i => Generated(t, 1024, i, 42)?.Input)).OfType<string>().ToHashSet();

        Assert.True(evaluated.Count > 50, $"{evaluated.Count} evaluation samples generate");

        Assert.DoesNotContain(drills, d => evaluated.Contains(d.Prompt.Single().Content));
        Assert.True(drills.Select(d => d.Prompt.Single().Content).Distinct().Count() == 50, "every drill is its own sample");
    }

    [Fact]
    public void SpecErrors_NoStageHoldsARulerTemplate_RefusedWhenTheRunIsMade_ALaterStageThatDoesSuffices()
    {
        TrainingRunSpec Spec(params int[] lengths) => new()
        {
            NeedleDrills = [new NeedleDrillSpec(3, 6, Format: NeedleDrillFormat.Ruler)],
            Stages = [.. lengths.Select((l, i) => new TrainingStage(l, 10_000 << (2 * i), 10, 1e-3))],
        };

        Assert.Equal("No stage is long enough for a RULER task's template (the longest is 256 tokens); drop the RULER drills or lengthen a stage.",
            Assert.Single(Spec(256).Errors(), e => e.Field == "needleDrills").Message);
        Assert.DoesNotContain(Spec(256, 512).Errors(), e => e.Field == "needleDrills");
        // Pass-key drills' own bound does not apply to RULER drills.
        Assert.Empty(Spec(512).Errors());
    }

    private static RulerSample? Generated(RulerTask task, int length, int index, int seed)
    {
        try
        {
            return Generator.Generate(task, length, index, seed, LocalCheckpoint.ChatOverhead(ByteTokenizer.Instance));
        }
        catch (RulerLengthException)
        {
            return null;
        }
    }

    /// <summary>The first sample that reaches the length (a long haystack sentence can leave one short).</summary>
    private static RulerSample FirstSample(RulerTask task, int length)
    {
        for (var index = 0; ; index++)
        {
            try
            {
                return Generator.Generate(task, length, index, 11, LocalCheckpoint.ChatOverhead(ByteTokenizer.Instance));
            }
            catch (RulerLengthException) when (index < 20)
            {
            }
        }
    }
}

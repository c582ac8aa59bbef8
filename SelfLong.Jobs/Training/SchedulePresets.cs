using System.Globalization;
using SelfLong.Jobs.Models;

namespace SelfLong.Jobs.Training;

/// <summary>
/// Named schedules a user can start from (PAPER.md, "Training"): the paper's own table for
/// Llama-3.1, and the paper's rule applied to whatever base the run starts from.
/// </summary>
public static class SchedulePresets
{
    /// <summary>The paper's table for Llama-3.1: 256k at theta 2M, 512k at 8M, 1M at 32M.</summary>
    public const string Paper = "paper";

    /// <summary>Stage 1 at twice the base's max_position_embeddings and four times its rope_theta, then x2 and x4 per stage.</summary>
    public const string FromBase = "from-base";

    public static readonly IReadOnlyList<string> Names = [Paper, FromBase];

    /// <summary>The stages of <see cref="Paper"/>: the paper publishes three.</summary>
    public const int PaperStageCount = 3;

    /// <summary>
    /// Llama-3.1's own length and RoPE base (config.json: max_position_embeddings 131072,
    /// rope_theta 500000); the paper's stages are this base under the rule.
    /// </summary>
    public const int Llama31MaxPositions = 131_072;
    public const double Llama31RopeTheta = 500_000;

    /// <summary>256k at 2M, 512k at 8M, 1M at 32M.</summary>
    public static ProgressiveSchedule PaperLlama31(int stepsPerStage, double learningRate) =>
        ProgressiveSchedule.PaperRule(Llama31MaxPositions * 2, Llama31RopeTheta * 4, PaperStageCount, stepsPerStage, learningRate);

    /// <summary>The paper's rule from the base's own length and theta: its first stage is already one step beyond the base.</summary>
    public static ProgressiveSchedule FromBaseModel(LlamaConfig baseConfig, int stages, int stepsPerStage, double learningRate)
    {
        if ((long)baseConfig.MaxPositionEmbeddings << stages > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(stages),
                $"{stages} stages from a base of {baseConfig.MaxPositionEmbeddings} tokens pass {int.MaxValue:N0} tokens; choose fewer stages.");
        return ProgressiveSchedule.PaperRule(baseConfig.MaxPositionEmbeddings * 2, baseConfig.RopeTheta * 4, stages, stepsPerStage, learningRate);
    }

    /// <summary>The stages of a named preset (<see cref="Names"/>); <paramref name="stages"/> counts only for <see cref="FromBase"/>.</summary>
    public static ProgressiveSchedule Build(string preset, LlamaConfig baseConfig, int stages, int stepsPerStage, double learningRate) => preset switch
    {
        Paper => PaperLlama31(stepsPerStage, learningRate),
        FromBase => FromBaseModel(baseConfig, stages, stepsPerStage, learningRate),
        _ => throw new ArgumentException($"Unknown schedule preset '{preset}'; choose {string.Join(" or ", Names.Select(n => $"\"{n}\""))}."),
    };

    /// <summary>
    /// Why the schedule may not be what the user meant, or null: stage 1 no longer than the base
    /// model's max_position_embeddings repeats a length the base already handles, and puts every
    /// later stage one x4 theta step behind the paper. A warning, not a refusal: it can be meant.
    /// </summary>
    public static string? StageOneWarning(LlamaConfig baseConfig, IReadOnlyList<TrainingStage> stages)
    {
        if (stages.Count == 0 || stages[0] is not { } first || first.MaxLength > baseConfig.MaxPositionEmbeddings) return null;
        return string.Create(CultureInfo.InvariantCulture,
            $"Stage 1 ({first.MaxLength:N0} tokens) is not longer than the base model's max_position_embeddings ({baseConfig.MaxPositionEmbeddings:N0}): " +
            $"it trains at a length the base already has, and each later stage is one step (x4 theta) behind the paper's rule. " +
            $"The paper's rule starts at {baseConfig.MaxPositionEmbeddings * 2L:N0} tokens, theta {baseConfig.RopeTheta * 4:G}.");
    }
}

namespace SelfLong.Jobs.Training;

/// <summary>One stage: train at this length with this RoPE base for these steps (or tokens).</summary>
public sealed record TrainingStage(int MaxLength, double RopeTheta, int Steps, double LearningRate, long? Tokens = null)
{
    /// <summary>Steps this stage runs: Tokens, when given, divided by the tokens one step sees.</summary>
    public int StepCount(int tokensPerStepAtOneToken) =>
        Tokens is { } tokens ? (int)Math.Max(1, (tokens + (long)tokensPerStepAtOneToken * MaxLength - 1) / ((long)tokensPerStepAtOneToken * MaxLength)) : Steps;
}

/// <summary>
/// The paper's progressive training (PAPER.md, "Training"): a list of stages of growing length,
/// each with a raised RoPE base so the rotation at the new length resembles the old one.
/// </summary>
public sealed record ProgressiveSchedule(IReadOnlyList<TrainingStage> Stages)
{
    /// <summary>
    /// The paper's rule: each stage doubles the length and multiplies theta by 4, starting from
    /// the base model's length and theta.
    /// </summary>
    public static ProgressiveSchedule PaperRule(int firstLength, double firstTheta, int stages, int stepsPerStage, double learningRate)
    {
        if (stages < 1) throw new ArgumentOutOfRangeException(nameof(stages), "A schedule needs at least one stage.");
        return new([.. Enumerable.Range(0, stages).Select(i =>
            new TrainingStage(firstLength << i, firstTheta * Math.Pow(4, i), stepsPerStage, learningRate))]);
    }

    /// <summary>Refuses a schedule that cannot run, with the stage named.</summary>
    public void Validate()
    {
        if (Stages.Count == 0) throw new ArgumentException("The schedule has no stages.");
        for (var i = 0; i < Stages.Count; i++)
        {
            var s = Stages[i];
            if (s.MaxLength < 8) throw new ArgumentException($"Stage {i + 1}: length {s.MaxLength} is too short (at least 8 tokens).");
            if (s.RopeTheta <= 0) throw new ArgumentException($"Stage {i + 1}: RoPE theta must be positive.");
            if (s.Steps < 1 && s.Tokens is null) throw new ArgumentException($"Stage {i + 1}: give at least one step or a token budget.");
            if (s.LearningRate <= 0 || s.LearningRate > 1) throw new ArgumentException($"Stage {i + 1}: learning rate {s.LearningRate} is outside (0, 1].");
        }
    }
}

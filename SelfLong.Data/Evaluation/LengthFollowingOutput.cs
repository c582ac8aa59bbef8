namespace SelfLong.Data.Evaluation;

/// <summary>
/// One output of a length-following run: the target was asked for <see cref="RequiredWords"/> words
/// and wrote <see cref="OutputWords"/>. The whole output is kept, so a count can be checked by reading it.
/// </summary>
public sealed class LengthFollowingOutput
{
    public long Id { get; set; }
    public long RunId { get; set; }
    public EvaluationRun? Run { get; set; }
    public int RequiredWords { get; set; }
    /// <summary>Which of the run's prompts (writing tasks) at this length, from 0.</summary>
    public int PromptIndex { get; set; }
    public string Prompt { get; set; } = "";
    public string Output { get; set; } = "";
    public int OutputWords { get; set; }
    /// <summary>The output's length in the run's sizing tokenizer.</summary>
    public int OutputTokens { get; set; }
    /// <summary>The generation budget the target had; an output that used all of it was probably cut short.</summary>
    public int MaxNewTokens { get; set; }
    public double DurationSeconds { get; set; }
    public DateTimeOffset CompletedAt { get; set; } = DateTimeOffset.UtcNow;
}

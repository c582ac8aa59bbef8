namespace SelfLong.Data.Evaluation;

/// <summary>
/// One scored RULER sample. The prompt itself is not stored (it is regenerated from the seed);
/// its hash is, so a regenerated prompt can be checked against what was sent.
/// </summary>
public sealed class RulerSampleResult
{
    public long Id { get; set; }
    public long RunId { get; set; }
    public EvaluationRun? Run { get; set; }
    public string Task { get; set; } = "";
    public int Length { get; set; }
    public int Index { get; set; }
    public string PromptHash { get; set; } = "";
    public int PromptTokens { get; set; }
    public List<string> Outputs { get; set; } = [];
    public string AnswerPrefix { get; set; } = "";
    public string Prediction { get; set; } = "";
    /// <summary>0..1 per sample (string_match_all or string_match_part).</summary>
    public double Score { get; set; }
    public double DurationSeconds { get; set; }
    public DateTimeOffset CompletedAt { get; set; } = DateTimeOffset.UtcNow;
}

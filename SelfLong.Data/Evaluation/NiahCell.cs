namespace SelfLong.Data.Evaluation;

/// <summary>
/// One needle-in-a-haystack cell (the common per-cell record: context length, depth, needle,
/// response, score, duration, timestamp). A row exists once the cell was scored.
/// </summary>
public sealed class NiahCell
{
    public long Id { get; set; }
    public long RunId { get; set; }
    public EvaluationRun? Run { get; set; }
    public int ContextLength { get; set; }
    public int DepthPercent { get; set; }
    public int PromptTokens { get; set; }
    /// <summary>SHA-256 of the prompt sent, hex.</summary>
    public string PromptHash { get; set; } = "";
    /// <summary>The prompt's text around the needle (the needle included), as sent; null for cells scored before it was kept.</summary>
    public string? NeedleExcerpt { get; set; }
    /// <summary>The prompt's last characters (the end of the haystack and the question), as sent; null for cells scored before it was kept.</summary>
    public string? PromptEnd { get; set; }
    public string Response { get; set; } = "";
    /// <summary>0..1: recall of the answer's words, or an LLM judge's 1-10 divided by 10.</summary>
    public double Score { get; set; }
    public double DurationSeconds { get; set; }
    public DateTimeOffset CompletedAt { get; set; } = DateTimeOffset.UtcNow;
}

namespace SelfLong.Data.Evaluation;

/// <summary>
/// One score from an lm-evaluation-harness results file: a task's metric under one filter
/// ("prompt_level_strict_acc,none" is metric prompt_level_strict_acc, filter none), as the harness
/// reported it (fractions stay fractions).
/// </summary>
public sealed class LmEvalScore
{
    public long Id { get; set; }
    public long RunId { get; set; }
    public EvaluationRun? Run { get; set; }
    public string Task { get; set; } = "";
    public string Metric { get; set; } = "";
    public string Filter { get; set; } = "none";
    public double Value { get; set; }
    /// <summary>The harness's standard error; null where it reported "N/A" or none.</summary>
    public double? Stderr { get; set; }
    /// <summary>From the file's higher_is_better table; null where it does not say.</summary>
    public bool? HigherIsBetter { get; set; }
    /// <summary>Few-shot examples per prompt (the file's n-shot), when it says.</summary>
    public int? FewShot { get; set; }
    /// <summary>Samples scored (the file's n-samples, effective), when it says.</summary>
    public int? Samples { get; set; }
    /// <summary>The results file the score came from.</summary>
    public string SourceFile { get; set; } = "";
}

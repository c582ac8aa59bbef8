namespace SelfLong.Data.Evaluation;

/// <summary>
/// Perplexity of a local checkpoint at one context length: the mean negative log-likelihood over a
/// few windows of held-out text, and the same loss by position bucket (doubling ranges of
/// positions), which shows where in the context a model past its training length goes wrong.
/// </summary>
public sealed class PerplexityLengthResult
{
    public long Id { get; set; }
    public long RunId { get; set; }
    public EvaluationRun? Run { get; set; }
    public int ContextLength { get; set; }
    /// <summary>Windows of held-out text averaged (fewer than asked when the text is short).</summary>
    public int Windows { get; set; }
    /// <summary>Predictions scored: windows x context length.</summary>
    public int Tokens { get; set; }
    /// <summary>Mean negative log-likelihood in nats; perplexity is its exponential.</summary>
    public double MeanNll { get; set; }
    /// <summary>Exclusive end of each position bucket; a bucket starts where the previous one ended (the first at 0).</summary>
    public List<int> BucketEnds { get; set; } = [];
    /// <summary>Mean NLL of the predictions in each bucket, over all windows.</summary>
    public List<double> BucketMeanNlls { get; set; } = [];
    public double DurationSeconds { get; set; }
    public DateTimeOffset CompletedAt { get; set; } = DateTimeOffset.UtcNow;
}

using SelfLong.Data.Runs;

namespace SelfLong.Data.Demo;

/// <summary>
/// One run of the built-in demo: ingest, extractive synthesis, SelfLong-Tiny trained stage by
/// stage, evaluation of each stage's checkpoint. Each step's own rows hold its results; this row
/// links them and says where the chain is.
/// </summary>
public sealed class DemoRun
{
    public long Id { get; set; }
    public RunStatus Status { get; set; }
    public string Step { get; set; } = "queued";
    public string? Message { get; set; }
    public long? CorpusId { get; set; }
    public long? SynthesisRunId { get; set; }
    public long? TrainingRunId { get; set; }
    /// <summary>NIAH evaluation runs, one per stage checkpoint plus the theta-only control, comma-separated.</summary>
    public string NiahRunIds { get; set; } = "";
    public string RulerRunIds { get; set; } = "";
    /// <summary>Perplexity by position for each checkpoint, as JSON (see PerplexityCurve).</summary>
    public string? PerplexityJson { get; set; }
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? CompletedAt { get; set; }
}

using SelfLong.Data.Runs;

namespace SelfLong.Data.Training;

/// <summary>
/// One progressive training run: its stored specification (base, data, stages, options as JSON),
/// where it writes checkpoints, and how far it got.
/// </summary>
public sealed class TrainingRun : IJobRun
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public RunStatus Status { get; set; }
    /// <summary>SelfLong.Jobs.Training.TrainingRunSpec as JSON.</summary>
    public required string SpecJson { get; set; }
    public required string OutputDirectory { get; set; }
    public string? HangfireJobId { get; set; }
    public string? TraceId { get; set; }
    public bool CancelRequested { get; set; }
    public int CurrentStage { get; set; }
    public int CurrentStep { get; set; }
    public int TotalSteps { get; set; }
    public string? Device { get; set; }
    public string? Message { get; set; }

    /// <summary>
    /// Trained outside SelfLong (Axolotl on many GPUs): never enqueued, exported on request, and
    /// followed through the trainer's output folder. Its status keeps the one vocabulary: Queued
    /// until the trainer's first log or checkpoint is imported, Running while it writes, Succeeded
    /// once every stage's final model is imported; a cancel ends it at once (SelfLong stops
    /// following; it cannot stop the trainer), and a resume follows again.
    /// </summary>
    public bool External { get; set; }

    /// <summary>Samples longer than their stage that lost document text from the middle (plain text: its end), so far.</summary>
    public long CutSamples { get; set; }
    /// <summary>Tokens those samples lost.</summary>
    public long CutTokens { get; set; }
    /// <summary>Samples skipped because what may not be cut (instruction, response, chat markers; all of a sample with no documents marked) was longer than the stage.</summary>
    public long TooLongSamples { get; set; }
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }

    public List<TrainingStepMetric> Metrics { get; set; } = [];
    public List<TrainingCheckpoint> Checkpoints { get; set; } = [];
}

/// <summary>What one optimizer step measured.</summary>
public sealed class TrainingStepMetric
{
    public long Id { get; set; }
    public long RunId { get; set; }
    public int GlobalStep { get; set; }
    /// <summary>Zero-based stage index.</summary>
    public int Stage { get; set; }
    public double Loss { get; set; }
    public double LearningRate { get; set; }
    public double TokensPerSecond { get; set; }
    public long PeakMemoryBytes { get; set; }
    public double GradNorm { get; set; }
}

/// <summary>A checkpoint folder the run wrote, with the configuration it was saved under.</summary>
public sealed class TrainingCheckpoint
{
    public long Id { get; set; }
    public long RunId { get; set; }
    public required string Path { get; set; }
    public int GlobalStep { get; set; }
    public int Stage { get; set; }
    /// <summary>True for the checkpoint that closes a stage (the one evaluation compares).</summary>
    public bool StageEnd { get; set; }
    public double RopeTheta { get; set; }
    public int MaxLength { get; set; }
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
}

using SelfLong.Data.Runs;

namespace SelfLong.Data.Evaluation;

public enum EvaluationKind
{
    Niah,
    Ruler,
    Perplexity,
    /// <summary>Outputs asked for at required word counts (the paper's Figure 3).</summary>
    LengthFollowing,
    /// <summary>lm-evaluation-harness scores imported from its results files (the paper's Table 4).</summary>
    LmEval,
}

/// <summary>What is evaluated: an OpenAI-compatible endpoint or a local checkpoint.</summary>
public enum EvaluationTargetKind
{
    /// <summary>/v1/completions with the chat template applied by SelfLong, as RULER does.</summary>
    OpenAiCompletions,
    /// <summary>/v1/chat/completions; the server applies its own template.</summary>
    OpenAiChat,
    /// <summary>A TorchSharp checkpoint folder loaded in process.</summary>
    LocalCheckpoint,
}

/// <summary>
/// One evaluation of one target: a NIAH grid, a RULER set, perplexity versus context length, or
/// outputs at required lengths; or short-task scores imported from lm-evaluation-harness.
/// Its cells, samples, lengths or outputs are stored as they finish, so a cancelled or failed run resumes
/// where it stopped.
/// </summary>
public sealed class EvaluationRun : IJobRun
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    public EvaluationKind Kind { get; set; }
    public RunStatus Status { get; set; }

    public EvaluationTargetKind TargetKind { get; set; }
    /// <summary>
    /// The endpoints-table row an endpoint target is called through (its cache, concurrency limit
    /// and timeouts); null for local checkpoints and imported runs. The address and model below
    /// are what the run was created with.
    /// </summary>
    public long? EndpointId { get; set; }
    /// <summary>Base URL of an endpoint, or the folder of a local checkpoint.</summary>
    public string? TargetLocation { get; set; }
    public string? Model { get; set; }
    /// <summary>
    /// API key protected with ASP.NET Core Data Protection; never shown, logged or exported. Runs
    /// created before targets were endpoints kept it here; newer ones leave it to the endpoint.
    /// </summary>
    public string? ProtectedApiKey { get; set; }
    /// <summary>Chat template SelfLong applies for completions targets ("llama-3", "chatml", "none").</summary>
    public string ChatTemplate { get; set; } = "none";
    /// <summary>
    /// The tokenizer chosen for an endpoint's prompts: a name, a model folder, or "server" (its
    /// /tokenize route). <see cref="SizedWith"/> records what that resolved to when the run started.
    /// </summary>
    public string Tokenizer { get; set; } = "cl100k_base";
    /// <summary>The tokenizer that measured the prompts, in words ("Llama 3 BPE (folder)", "the server's own tokenizer ...").</summary>
    public string? SizedWith { get; set; }
    /// <summary>Where the answer prefix went (after a chat template, prefilled as the assistant message, or in the user turn).</summary>
    public string? PromptLayout { get; set; }
    /// <summary>The target's maximum supported length in tokens; longer cells are not run.</summary>
    public int MaxLength { get; set; }
    /// <summary>Length the checkpoint was trained at (dashed line on the heatmap).</summary>
    public int? TrainingLength { get; set; }

    /// <summary>The run's NIAH or RULER settings as JSON (lengths, depths, needle, tasks, seed ...).</summary>
    public string SettingsJson { get; set; } = "{}";

    public int TotalItems { get; set; }
    public int DoneItems { get; set; }
    public bool CancelRequested { get; set; }
    /// <summary>Results came from an imported prediction file, not from running a target.</summary>
    public bool Imported { get; set; }
    public string? Message { get; set; }
    public string? HangfireJobId { get; set; }
    public string? TraceId { get; set; }

    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }

    public List<NiahCell> NiahCells { get; set; } = [];
    public List<RulerSampleResult> RulerSamples { get; set; } = [];
    public List<PerplexityLengthResult> PerplexityLengths { get; set; } = [];
    public List<LengthFollowingOutput> LengthFollowingOutputs { get; set; } = [];
    public List<LmEvalScore> LmEvalScores { get; set; } = [];
}

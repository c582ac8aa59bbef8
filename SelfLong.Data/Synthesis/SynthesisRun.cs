using SelfLong.Data.Runs;

namespace SelfLong.Data.Synthesis;

/// <summary>
/// One synthesis run over a corpus with one model endpoint (PAPER.md, "Data synthesis"). It keeps
/// the exact settings and prompt templates it used, so its samples can be explained and remade.
/// </summary>
public sealed class SynthesisRun : IRun
{
    public long Id { get; set; }
    public required string Name { get; set; }

    /// <summary>The corpus the documents come from (a plain id: the corpus table lives elsewhere).</summary>
    public long CorpusId { get; set; }
    public long EndpointId { get; set; }

    /// <summary>What made the samples, shown everywhere, e.g. "extractive (built-in, no model)".</summary>
    public required string GeneratorLabel { get; set; }
    public bool IsExtractive { get; set; }

    /// <summary>Number of samples the run must end with.</summary>
    public int SampleCount { get; set; }
    public int Seed { get; set; }

    /// <summary>The run's <c>SynthesisSettings</c> as JSON.</summary>
    public required string SettingsJson { get; set; }

    /// <summary>The exact prompt templates used, name to text, as JSON.</summary>
    public required string TemplatesJson { get; set; }

    /// <summary>Tokenizer the token counts were made with.</summary>
    public required string Tokenizer { get; set; }

    /// <summary>
    /// Moved by a user (start, pause, cancel) and by the sample job that completes the run, from
    /// different processes: a save that finds it changed since it was read is refused, so a run that
    /// just succeeded is never marked cancelled afterwards.
    /// </summary>
    public RunStatus Status { get; set; }
    public string? Error { get; set; }

    /// <summary>How the run ended, as every run kind says it (the column keeps its first name, Error).</summary>
    string? IRun.Message { get => Error; set => Error = value; }

    /// <summary>
    /// The command-line process working the run's samples itself (its owner marker), while it does;
    /// null when the samples are Hangfire jobs any worker runs.
    /// </summary>
    public string? WorkedHere { get; set; }

    /// <summary>The trace of the request that last started the run; each sample's job span links to it.</summary>
    public string? TraceId { get; set; }

    // Counters added atomically by the sample jobs (several workers at once).
    public long LlmCalls { get; set; }
    public long CacheHits { get; set; }
    public long PromptTokens { get; set; }
    public long CompletionTokens { get; set; }

    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
}

using SelfLong.Jobs.Evaluation.Ruler;

namespace SelfLong.Jobs.Evaluation;

/// <summary>A RULER run's settings, stored with the run.</summary>
public sealed record RulerSettings
{
    public IReadOnlyList<string> Tasks { get; init; } = RulerTask.All.Select(t => t.Name).ToList();
    public IReadOnlyList<int> Lengths { get; init; } = RulerTask.DefaultLengths;
    public int Samples { get; init; } = RulerTask.DefaultSamples;
    public int Seed { get; init; } = 42;
    public string Haystack { get; init; } = EvaluationText.BundledProseName;
    /// <summary>A corpus whose prose is the essay haystack; null for the bundled prose.</summary>
    public long? HaystackCorpusId { get; init; }
    /// <summary>Refuse to start unless all 13 tasks can run, so the averages are comparable with published ones.</summary>
    public bool RequireAllTasks { get; init; }
}

/// <summary>
/// How a run reaches its target: a row of the endpoints table (<see cref="EndpointId"/>), or an
/// address, model and plain API key, which the run finds or adds as a row (the key stored protected).
/// </summary>
public sealed record EvaluationTargetRequest(
    SelfLong.Data.Evaluation.EvaluationTargetKind Kind,
    string Location,
    string Model,
    string? ApiKey,
    string ChatTemplate,
    int MaxLength,
    int? TrainingLength = null,
    string Tokenizer = "cl100k_base",
    long? EndpointId = null);

using SelfLong.Jobs.Models;

namespace SelfLong.Jobs.Training;

/// <summary>
/// One instruction sample: the prompt turns (system, user), the assistant's response, and whether
/// it is a long-context sample. The paper's loss rule depends on that flag.
/// </summary>
public sealed record TrainingSample(IReadOnlyList<ChatMessage> Prompt, string Response, bool IsLong)
{
    /// <summary>
    /// The prompt's documents: a sample longer than its stage loses text from their middle, never
    /// from the instruction or the response. Without them such a sample is skipped (a needle drill
    /// cut anywhere might lose its needle).
    /// </summary>
    public PromptSpan? Documents { get; init; }

    /// <summary>Plain text to continue (a corpus document): no prompt, the whole text is the response.</summary>
    public static TrainingSample PlainText(string text) => new([], text, IsLong: true);
}

/// <summary>
/// Where training samples come from: chat-format JSONL files now, synthesis runs later. A source
/// returns every sample it has; the trainer mixes sources by weight.
/// </summary>
public interface ITrainingSampleSource
{
    /// <summary>Shown in run configuration and errors.</summary>
    string Name { get; }

    Task<IReadOnlyList<TrainingSample>> LoadAsync(CancellationToken ct);
}

/// <summary>A source with its mixing weight (the share of samples drawn from it).</summary>
public sealed record WeightedSource(ITrainingSampleSource Source, double Weight);

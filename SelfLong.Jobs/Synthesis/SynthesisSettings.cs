using System.Text.Json;
using System.Text.Json.Serialization;
using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Synthesis;

public enum DocumentOrder { Shuffled, Retrieval }

public enum InstructionPosition { AfterDocuments, BeforeDocuments }

/// <summary>
/// Everything that shapes a run's samples (PAPER.md, "Data synthesis"); stored with the run as JSON.
/// Defaults follow the paper where it says, and are marked as choices where it does not.
/// </summary>
public sealed record SynthesisSettings
{
    /// <summary>Target input lengths are drawn log-uniformly between these (paper: up to 1M tokens).</summary>
    public int MinTargetTokens { get; init; } = 8_192;
    public int MaxTargetTokens { get; init; } = 131_072;

    /// <summary>Chunks retrieved per search; the search widens until the target length is reached.</summary>
    public int TopK { get; init; } = 20;

    /// <summary>Documents are split into chunks of at most this many tokens to summarize (paper: 4k).</summary>
    public int ChunkTokens { get; init; } = 4_096;

    /// <summary>Longest summary of one chunk or group (not published; our choice).</summary>
    public int SummaryTokens { get; init; } = 512;

    /// <summary>Longest response (not published; our choice).</summary>
    public int ResponseTokens { get; init; } = 1_024;

    /// <summary>Instruction types and their weights.</summary>
    public Dictionary<string, double> InstructionMix { get; init; } = new()
    {
        ["question answering"] = 0.35,
        ["summarization"] = 0.2,
        ["comparison"] = 0.2,
        ["multi-document reasoning"] = 0.25,
    };

    /// <summary>Share of samples that are long output (back-translation); paper: 10k of 79k.</summary>
    public double LongOutputFraction { get; init; } = 0.1;
    public int LongOutputMinTokens { get; init; } = 2_000;
    public int LongOutputMaxTokens { get; init; } = 32_000;

    /// <summary>
    /// The tokenizer of the model the data is for: target and long-output lengths and the samples'
    /// token counts are in its tokens. <see cref="TokenCounters"/> names the choices.
    /// </summary>
    public string TargetTokenizer { get; init; } = TokenCounters.Default;

    public DocumentOrder DocumentOrder { get; init; } = DocumentOrder.Shuffled;
    public InstructionPosition InstructionPosition { get; init; } = InstructionPosition.AfterDocuments;
    public float Temperature { get; init; } = 0.7f;

    /// <summary>The system turn of exported chat samples.</summary>
    public string SystemPrompt { get; init; } = "You are a helpful assistant.";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static SynthesisSettings FromJson(string json) => JsonSerializer.Deserialize<SynthesisSettings>(json, Json) ?? new();

    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (MinTargetTokens < 1 || MaxTargetTokens < MinTargetTokens || MaxTargetTokens > 2_000_000)
            errors["targetTokens"] = ["Target lengths need 1 <= minimum <= maximum <= 2,000,000 tokens."];
        if (TopK is < 1 or > 1000) errors["topK"] = ["Top-k must be between 1 and 1000."];
        if (ChunkTokens is < 64 or > 1_000_000) errors["chunkTokens"] = ["The chunk size must be between 64 and 1,000,000 tokens."];
        if (SummaryTokens < 16 || SummaryTokens * 2 > ChunkTokens)
            errors["summaryTokens"] = ["Summaries must be at least 16 tokens and at most half the chunk size, or the tree cannot shrink."];
        if (ResponseTokens is < 16 or > 100_000) errors["responseTokens"] = ["The response length must be between 16 and 100,000 tokens."];
        if (InstructionMix.Count == 0 || InstructionMix.Values.Any(w => w < 0 || double.IsNaN(w)) || InstructionMix.Values.Sum() <= 0)
            errors["instructionMix"] = ["Give at least one instruction type a positive weight."];
        if (LongOutputFraction is < 0 or > 1) errors["longOutputFraction"] = ["The long-output share must be between 0 and 1."];
        if (LongOutputMinTokens < 1 || LongOutputMaxTokens < LongOutputMinTokens)
            errors["longOutputTokens"] = ["Long-output lengths need 1 <= minimum <= maximum."];
        if (TokenCounters.Problem(TargetTokenizer) is { } tokenizer) errors["targetTokenizer"] = [tokenizer];
        return errors;
    }
}

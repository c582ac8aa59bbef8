using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Synthesis;

/// <summary>
/// The model behind the four steps: an LLM through prompt templates (<see cref="ChatSynthesisModel"/>)
/// or the built-in extractive generator (<see cref="ExtractiveSynthesisModel"/>). The step classes
/// do the rest (drawing types, retrieval, the summary tree, assembly) the same way for both.
/// </summary>
public interface ISynthesisModel
{
    /// <summary>Shown with every sample, e.g. "gpt-4o at https://..." or "extractive (built-in, no model)".</summary>
    string Label { get; }

    bool IsExtractive { get; }

    /// <summary>Tokens the model can read at once: the final summaries must fit it.</summary>
    int ContextWindow { get; }

    /// <summary>The model's own tokenizer (or the nearest known one): chunks and its window are measured in it.</summary>
    ITokenCounter Tokens { get; }

    Task<string> WriteInstructionAsync(string seedChunk, string instructionType, CancellationToken ct);

    Task<string> SummarizeAsync(string instruction, string text, int maxTokens, CancellationToken ct);

    Task<string> RespondAsync(string instruction, IReadOnlyList<string> summaries, int maxTokens, CancellationToken ct);

    Task<string> BackTranslateAsync(string document, CancellationToken ct);
}

/// <summary>Calls, cache hits and tokens of one sample, added to the run when the sample is stored.</summary>
public sealed class SynthesisCallStats
{
    private int calls, cacheHits, promptTokens, completionTokens;

    public int Calls => calls;
    public int CacheHits => cacheHits;
    public int PromptTokens => promptTokens;
    public int CompletionTokens => completionTokens;

    public void Add(bool cached, int prompt, int completion)
    {
        Interlocked.Increment(ref calls);
        if (cached) Interlocked.Increment(ref cacheHits);
        Interlocked.Add(ref promptTokens, prompt);
        Interlocked.Add(ref completionTokens, completion);
    }
}

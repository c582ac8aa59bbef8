using SelfLong.Data.Endpoints;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Synthesis;

/// <summary>The four steps' prompts sent through the cached client to a chat endpoint: an OpenAI-compatible server or a local checkpoint.</summary>
public sealed class ChatSynthesisModel(
    ModelEndpoint endpoint, LlmClient llm, ITokenCounter tokens, PromptTemplates templates, SynthesisSettings settings,
    SynthesisCallStats stats, long callSeed)
    : ISynthesisModel
{
    public string Label => $"{endpoint.Model} ({endpoint.Name})";
    public bool IsExtractive => false;
    public int ContextWindow => endpoint.ContextWindow;
    public ITokenCounter Tokens => tokens;

    public Task<string> WriteInstructionAsync(string seedChunk, string instructionType, CancellationToken ct) =>
        CallAsync(PromptTemplates.Render(templates.Instruction, ("seed_chunk", seedChunk), ("instruction_type", instructionType)), 512, ct);

    public Task<string> SummarizeAsync(string instruction, string text, int maxTokens, CancellationToken ct) =>
        CallAsync(PromptTemplates.Render(templates.Summarize, ("instruction", instruction), ("text", text),
            ("max_words", WordsFor(maxTokens).ToString())), maxTokens, ct);

    public Task<string> RespondAsync(string instruction, IReadOnlyList<string> summaries, int maxTokens, CancellationToken ct) =>
        CallAsync(PromptTemplates.Render(templates.Respond, ("instruction", instruction),
            ("summaries", string.Join("\n\n", summaries.Select((s, i) => $"[{i + 1}] {s}")))), maxTokens, ct);

    public Task<string> BackTranslateAsync(string document, CancellationToken ct) =>
        CallAsync(PromptTemplates.Render(templates.BackTranslate, ("document", document)), 512, ct);

    /// <summary>About 0.75 words per token for English text.</summary>
    public static int WordsFor(int tokens) => Math.Max(1, tokens * 3 / 4);

    private async Task<string> CallAsync(string prompt, int maxTokens, CancellationToken ct)
    {
        // A per-sample seed keeps the request, and so its cache key, the same when a run resumes.
        var result = await llm.CompleteAsync(endpoint, new LlmRequest([LlmMessage.User(prompt)], maxTokens, settings.Temperature, callSeed), ct);
        stats.Add(result.Cached, result.PromptTokens, result.CompletionTokens);
        return result.Text.Trim();
    }
}

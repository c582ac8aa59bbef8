using System.ClientModel;
using SelfLong.Data.Endpoints;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.ModelCalls;
using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Evaluation.Targets;

/// <summary>
/// An OpenAI-compatible endpoint (vLLM, TGI, llama.cpp, Ollama ...) from the endpoints table:
/// completions with SelfLong's chat template, or chat completions. Temperature 0. Each call goes
/// through the one <see cref="LlmClient"/> (cache scoped to the run, the endpoint's concurrency
/// limit, the one model-call policy).
/// </summary>
public sealed class OpenAiTarget(LlmClient llm, ModelEndpoint endpoint, OpenAiTargetOptions options, ITokenCounter tokenizer) : IEvaluationTarget
{
    public int MaxLength => options.MaxLength;
    public string TokenizerName => tokenizer.Name;
    public int CountTokens(string text) => tokenizer.CountTokens(text);

    /// <summary>What the chat template adds (completions); a chat server's own template is unknown here, so a small allowance.</summary>
    public int TemplateTokens => TemplateTokensFor(options.Chat, options.ChatTemplate, tokenizer);

    /// <summary>The same before a target exists (sizing a run when it is created).</summary>
    public static int TemplateTokensFor(bool chat, string chatTemplate, ITokenCounter tokenizer) =>
        chat ? ChatAllowance : tokenizer.CountTokens(ChatTemplates.Apply(chatTemplate, "", ""));

    /// <summary>Tokens a typical chat template adds around one user turn.</summary>
    public const int ChatAllowance = 16;

    public string Describe() => options.Chat
        ? $"chat completions at {endpoint.BaseUrl}, model {endpoint.Model}"
        : $"completions at {endpoint.BaseUrl}, model {endpoint.Model}, chat template {options.ChatTemplate}";

    public async Task<string> GenerateAsync(string prompt, string answerPrefix, int maxTokens, CancellationToken ct) =>
        (await llm.CompleteAsync(endpoint, BuildRequest(prompt, answerPrefix, maxTokens), ct)).Text;

    /// <summary>
    /// The request. Completions: SelfLong's chat template with the answer prefix after it. Chat:
    /// RULER's chat path, the answer prefix as a final assistant message the server continues
    /// (vLLM's continue_final_message, which needs add_generation_prompt off); where the server
    /// refused that, the prefix ends the user turn instead.
    /// </summary>
    internal LlmRequest BuildRequest(string prompt, string answerPrefix, int maxTokens)
    {
        var prefilled = options.Chat && answerPrefix.Length > 0 && prefill != false;
        List<LlmMessage> messages = !options.Chat ? []
            : prefilled ? [LlmMessage.User(prompt), LlmMessage.Assistant(answerPrefix)]
            : [LlmMessage.User((prompt + answerPrefix).TrimEnd())];
        if (options.Chat && options.System is { } system) messages.Insert(0, LlmMessage.System(system));
        return new LlmRequest(messages, maxTokens, Temperature: 0)
        {
            Prompt = options.Chat ? null : ChatTemplates.Apply(options.ChatTemplate, prompt, answerPrefix),
            ContinueFinalMessage = prefilled,
            AllowEmpty = true,
            CacheScope = options.CacheScope,
        };
    }

    /// <summary>Null until <see cref="PrepareAsync"/> asked the server; false once it refused the prefill.</summary>
    private bool? prefill;
    private string? prefillRefusal;

    /// <summary>A chat target asks once, with a two-token request, whether the server continues a final assistant message.</summary>
    public async Task PrepareAsync(CancellationToken ct)
    {
        if (!options.Chat || prefill is not null) return;
        prefill = true;
        try
        {
            await GenerateAsync("Reply with one word: ready.", " Ready", 2, ct);
        }
        catch (ModelCallFailedException e) when (e.InnerException is ClientResultException { Status: 400 or 422 } refused)
        {
            prefill = false;
            prefillRefusal = $"{refused.Status}";
        }
    }

    public string PromptLayout => !options.Chat
        ? $"answer prefix after the {options.ChatTemplate} chat template (completions)"
        : prefill == false
            ? $"answer prefix at the end of the user turn: the server refused continue_final_message ({prefillRefusal})"
            : "answer prefix prefilled as the assistant message (continue_final_message)";

    public void Dispose() { }
}

/// <param name="System">A system message put before each chat prompt (a judge's); none for targets under evaluation.</param>
/// <param name="CacheScope">Answers are reused only within this scope (the run): see <see cref="LlmRequest.CacheScope"/>.</param>
public sealed record OpenAiTargetOptions(bool Chat, string ChatTemplate, int MaxLength, string? System = null, string? CacheScope = null);

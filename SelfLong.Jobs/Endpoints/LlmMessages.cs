namespace SelfLong.Jobs.Endpoints;

public sealed record LlmMessage(string Role, string Content)
{
    public static LlmMessage System(string content) => new("system", content);
    public static LlmMessage User(string content) => new("user", content);
    public static LlmMessage Assistant(string content) => new("assistant", content);
}

/// <summary>One model request; everything in it is part of the cache key.</summary>
public sealed record LlmRequest(IReadOnlyList<LlmMessage> Messages, int? MaxOutputTokens = null, float? Temperature = null, long? Seed = null)
{
    /// <summary>
    /// A raw prompt for <c>/completions</c> (the chat template already applied, as RULER does)
    /// instead of <see cref="Messages"/>: the OpenAI client has no completions route.
    /// </summary>
    public string? Prompt { get; init; }

    /// <summary>
    /// The last message is the start of the assistant's answer, for the server to continue (vLLM's
    /// <c>continue_final_message</c>, with <c>add_generation_prompt</c> off).
    /// </summary>
    public bool ContinueFinalMessage { get; init; }

    /// <summary>An empty answer is an answer (a model under evaluation may say nothing), not a malformed reply to retry.</summary>
    public bool AllowEmpty { get; init; }

    /// <summary>
    /// Limits reuse of cached answers to calls with the same scope. Evaluation scopes its calls to
    /// its run: a server can serve other weights under the same URL and model name tomorrow.
    /// </summary>
    public string? CacheScope { get; init; }
}

public sealed record LlmResult(string Text, bool Cached, int PromptTokens, int CompletionTokens, int LatencyMs);

/// <summary>The endpoint cannot serve calls (e.g. a local checkpoint whose folder is gone); retrying will not help.</summary>
public sealed class EndpointUnavailableException(string message) : Exception(message);

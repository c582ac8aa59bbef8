namespace SelfLong.Jobs.Endpoints;

public sealed record LlmMessage(string Role, string Content)
{
    public static LlmMessage System(string content) => new("system", content);
    public static LlmMessage User(string content) => new("user", content);
}

/// <summary>One chat request; everything in it is part of the cache key.</summary>
public sealed record LlmRequest(IReadOnlyList<LlmMessage> Messages, int? MaxOutputTokens = null, float? Temperature = null, long? Seed = null);

public sealed record LlmResult(string Text, bool Cached, int PromptTokens, int CompletionTokens, int LatencyMs);

/// <summary>The endpoint cannot serve calls (e.g. a local checkpoint whose folder is gone); retrying will not help.</summary>
public sealed class EndpointUnavailableException(string message) : Exception(message);

namespace SelfLong.Data.Endpoints;

/// <summary>
/// One successful model call, keyed by a hash of (endpoint, model, messages, parameters), so a
/// repeat of the same call (a resumed run) is answered from here. Failures are never stored.
/// </summary>
public sealed class LlmCall
{
    public long Id { get; set; }

    /// <summary>Hex SHA-256 of the canonical request.</summary>
    public required string Hash { get; set; }
    public long? EndpointId { get; set; }
    public required string Model { get; set; }

    /// <summary>The request as sent (messages and parameters), for inspection.</summary>
    public required string RequestJson { get; set; }
    public required string ResponseText { get; set; }
    public int PromptTokens { get; set; }
    public int CompletionTokens { get; set; }
    public int LatencyMs { get; set; }
    public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;
}

using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Turn = SelfLong.Jobs.Models.ChatMessage;

namespace SelfLong.Jobs.Endpoints.Local;

/// <summary>
/// A local checkpoint behind <see cref="IChatClient"/>, so <see cref="LlmClient"/> caches, limits
/// and retries its calls like any server's. Generation is evaluation's own path:
/// <see cref="Models.LocalCheckpoint.GenerateChat"/> in the Llama-3 chat layout with a KV cache.
/// The endpoint's temperature applies to every call and its max new tokens caps every request.
/// </summary>
public sealed class LocalCheckpointChatClient(LocalCheckpointPool pool, string endpointName, LocalCheckpointSettings settings) : IChatClient
{
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var turns = messages.Select(m => new Turn(m.Role.Value, m.Text)).ToList();
        var maxNewTokens = Math.Min(options?.MaxOutputTokens ?? settings.MaxNewTokens, settings.MaxNewTokens);
        var checkpoint = await pool.GetAsync(endpointName, settings, cancellationToken);
        var generation = await Task.Run(() => checkpoint.GenerateChatWithUsage(
            turns, maxNewTokens, settings.Temperature, SeedFor(options?.Seed), cancellationToken), cancellationToken);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, StorableText(generation.Text)))
        {
            ModelId = Path.GetFileName(settings.Folder.TrimEnd('/', '\\')),
            FinishReason = generation.CompletionTokens >= maxNewTokens ? ChatFinishReason.Length : ChatFinishReason.Stop,
            Usage = new UsageDetails
            {
                InputTokenCount = generation.PromptTokens, OutputTokenCount = generation.CompletionTokens,
                TotalTokenCount = generation.PromptTokens + generation.CompletionTokens,
            },
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Nothing in SelfLong streams; the whole answer arrives as one update.
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates()) yield return update;
    }

    // Only the client itself is on offer, and only without a key.
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsAssignableFrom(GetType()) ? this : null;

    /// <summary>
    /// A byte-level model can emit byte 0, which PostgreSQL text cannot hold; the answer is stored
    /// (cache, samples) without it.
    /// </summary>
    public static string StorableText(string text) => text.Replace("\0", "");

    /// <summary>The sampler takes a 32-bit seed; fold the request's 64 bits so every bit still counts.</summary>
    private static int? SeedFor(long? seed) => seed is { } s ? (int)(s ^ (s >> 32)) : null;

    public void Dispose()
    {
        // The pool owns the loaded checkpoint; other endpoints on the same folder share it.
    }
}

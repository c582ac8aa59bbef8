using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using SelfLong.Data.Endpoints;
using SelfLong.Jobs.ModelCalls;

namespace SelfLong.Jobs.Endpoints;

/// <summary>
/// Every model call of SelfLong goes through here: answered from the <see cref="LlmCall"/> cache
/// when the same (endpoint, model, messages, parameters) was answered before; otherwise sent under
/// the endpoint's concurrency limit under the one <see cref="ModelCallPolicy"/>, and stored on success only.
/// </summary>
public sealed class LlmClient(
    LlmCallCache cache,
    EndpointConcurrencyLimiter limiter,
    ChatClientFactory chatClients,
    ModelCallPolicy policy)
{
    public async Task<LlmResult> CompleteAsync(ModelEndpoint endpoint, LlmRequest request, CancellationToken ct = default)
    {
        var requestJson = CanonicalJson(endpoint, request);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(requestJson)));
        if (await cache.FindAsync(hash, ct) is { } cached) return cached;

        var chat = chatClients.For(endpoint);
        var messages = request.Messages.Select(m => new ChatMessage(new ChatRole(m.Role), m.Content)).ToList();
        var chatOptions = new ChatOptions { MaxOutputTokens = request.MaxOutputTokens, Temperature = request.Temperature, Seed = request.Seed };
        var result = await policy.ExecuteAsync(Target(endpoint), async attempt =>
        {
            // The slot is held for one attempt only: a call waiting out its backoff lets others through.
            await using var slot = await limiter.AcquireAsync(endpoint, attempt);
            var watch = Stopwatch.StartNew();
            var response = await chat.GetResponseAsync(messages, chatOptions, attempt);
            var text = response.Text;
            if (string.IsNullOrWhiteSpace(text)) throw new InvalidDataException("The model returned an empty answer.");
            return new LlmResult(text, false, (int)(response.Usage?.InputTokenCount ?? 0),
                (int)(response.Usage?.OutputTokenCount ?? 0), (int)watch.ElapsedMilliseconds);
        }, ct);
        await cache.StoreAsync(endpoint, hash, requestJson, result);
        return result;
    }

    /// <summary>An endpoint's circuit is its row and address: an edited endpoint starts with a fresh one.</summary>
    public static ModelCallTarget Target(ModelEndpoint endpoint) => new(
        $"endpoint:{endpoint.Id}:{endpoint.BaseUrl ?? endpoint.CheckpointPath}:{endpoint.Model}:{endpoint.TimeoutSeconds}",
        $"Endpoint '{endpoint.Name}'", TimeSpan.FromSeconds(Math.Max(1, endpoint.TimeoutSeconds)));

    /// <summary>The cache key's input: the endpoint's address (not its row id), model, messages and parameters.</summary>
    public static string CanonicalJson(ModelEndpoint endpoint, LlmRequest request) =>
        endpoint.Kind == ModelEndpointKind.LocalCheckpoint ? LocalCanonicalJson(endpoint, request) : JsonSerializer.Serialize(new
        {
            endpoint = endpoint.BaseUrl?.TrimEnd('/'),
            model = endpoint.Model,
            messages = request.Messages.Select(m => new { role = m.Role, content = m.Content }),
            max_tokens = request.MaxOutputTokens,
            temperature = request.Temperature,
            seed = request.Seed,
        });

    /// <summary>
    /// A local checkpoint's address is its folder, the fingerprint of the files in it (a folder
    /// overwritten with other weights is another model) and its device (bf16 on CUDA decodes
    /// differently from float32 on the CPU); its own decoding settings are parameters of every call.
    /// </summary>
    private static string LocalCanonicalJson(ModelEndpoint endpoint, LlmRequest request) => JsonSerializer.Serialize(new
    {
        endpoint = $"local:{endpoint.CheckpointPath}",
        files = Models.CheckpointFolder.Fingerprint(endpoint.CheckpointPath ?? ""),
        device = endpoint.Device,
        model = endpoint.Model,
        messages = request.Messages.Select(m => new { role = m.Role, content = m.Content }),
        max_tokens = request.MaxOutputTokens,
        temperature = request.Temperature,
        seed = request.Seed,
        endpoint_max_new_tokens = endpoint.MaxNewTokens,
        endpoint_temperature = endpoint.Temperature,
    });
}

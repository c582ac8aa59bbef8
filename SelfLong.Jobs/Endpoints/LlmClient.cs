using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using ChatCompletionOptions = OpenAI.Chat.ChatCompletionOptions;
using SelfLong.Data.Endpoints;
using SelfLong.Jobs.ModelCalls;

namespace SelfLong.Jobs.Endpoints;

/// <summary>
/// Every model call of SelfLong goes through here (synthesis, evaluation targets, judges): answered
/// from the <see cref="LlmCall"/> cache when the same (endpoint, model, messages, parameters, scope)
/// was answered before; otherwise sent under the endpoint's concurrency limit under the one
/// <see cref="ModelCallPolicy"/>, and stored on success only. Chat goes through the OpenAI client;
/// only <c>/completions</c>, which it lacks, goes through <see cref="CompletionsClient"/>.
/// </summary>
public sealed class LlmClient(
    LlmCallCache cache,
    EndpointConcurrencyLimiter limiter,
    ChatClientFactory chatClients,
    CompletionsClient completions,
    ModelCallPolicy policy)
{
    public async Task<LlmResult> CompleteAsync(ModelEndpoint endpoint, LlmRequest request, CancellationToken ct = default)
    {
        var requestJson = CanonicalJson(endpoint, request);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(requestJson)));
        var target = Target(endpoint) with { Operation = request.Prompt is null ? "chat" : "text_completion" };
        if (await cache.FindAsync(hash, ct) is { } cached)
        {
            ModelCallTelemetry.CachedAnswer(target);
            return cached;
        }

        var result = await policy.ExecuteAsync(target, async attempt =>
        {
            // The slot is held for one attempt only: a call waiting out its backoff lets others through.
            await using var slot = await limiter.AcquireAsync(endpoint, attempt);
            var watch = Stopwatch.StartNew();
            var (text, promptTokens, completionTokens) = request.Prompt is null
                ? await ChatAsync(endpoint, request, attempt)
                : await completions.CompleteAsync(endpoint, request, attempt);
            ModelCallTelemetry.Answered(target, promptTokens, completionTokens);
            if (!request.AllowEmpty && string.IsNullOrWhiteSpace(text)) throw new InvalidDataException("The model returned an empty answer.");
            return new LlmResult(text, false, promptTokens, completionTokens, (int)watch.ElapsedMilliseconds);
        }, ct);
        await cache.StoreAsync(endpoint, hash, requestJson, result);
        return result;
    }

    private async Task<(string, int, int)> ChatAsync(ModelEndpoint endpoint, LlmRequest request, CancellationToken ct)
    {
        var messages = request.Messages.Select(m => new ChatMessage(new ChatRole(m.Role), m.Content)).ToList();
        var options = new ChatOptions { MaxOutputTokens = request.MaxOutputTokens, Temperature = request.Temperature, Seed = request.Seed };
        if (request.ContinueFinalMessage) options.RawRepresentationFactory = _ => ContinueFinalMessage();
        var response = await chatClients.For(endpoint).GetResponseAsync(messages, options, ct);
        return (response.Text, (int)(response.Usage?.InputTokenCount ?? 0), (int)(response.Usage?.OutputTokenCount ?? 0));
    }

    /// <summary>vLLM's extension fields, which the OpenAI client sends as they are through its JSON patch.</summary>
    private static ChatCompletionOptions ContinueFinalMessage()
    {
        var options = new ChatCompletionOptions();
#pragma warning disable SCME0001 // JsonPatch is marked experimental; it is the client's one way to send a server's own fields.
        options.Patch.Set("$.continue_final_message"u8, true);
        options.Patch.Set("$.add_generation_prompt"u8, false);
#pragma warning restore SCME0001
        return options;
    }

    /// <summary>An endpoint's circuit is its row and address: an edited endpoint starts with a fresh one.</summary>
    public static ModelCallTarget Target(ModelEndpoint endpoint) => new(
        $"endpoint:{endpoint.Id}:{endpoint.BaseUrl ?? endpoint.CheckpointPath}:{endpoint.Model}:{endpoint.TimeoutSeconds}",
        $"Endpoint '{endpoint.Name}'", TimeSpan.FromSeconds(Math.Max(1, endpoint.TimeoutSeconds)))
    {
        Endpoint = endpoint.Name,
        Model = endpoint.Model,
    };

    /// <summary>The cache key's input: the endpoint's address (not its row id), model, messages and parameters.</summary>
    public static string CanonicalJson(ModelEndpoint endpoint, LlmRequest request) =>
        endpoint.Kind == ModelEndpointKind.LocalCheckpoint ? LocalCanonicalJson(endpoint, request)
        // Chat requests without the evaluation fields keep the key they always had: caches survive upgrades.
        : request is { Prompt: null, ContinueFinalMessage: false, CacheScope: null } ? JsonSerializer.Serialize(new
        {
            endpoint = endpoint.BaseUrl?.TrimEnd('/'),
            model = endpoint.Model,
            messages = request.Messages.Select(m => new { role = m.Role, content = m.Content }),
            max_tokens = request.MaxOutputTokens,
            temperature = request.Temperature,
            seed = request.Seed,
        })
        : JsonSerializer.Serialize(new
        {
            endpoint = endpoint.BaseUrl?.TrimEnd('/'),
            model = endpoint.Model,
            scope = request.CacheScope,
            prompt = request.Prompt,
            messages = request.Messages.Select(m => new { role = m.Role, content = m.Content }),
            continue_final_message = request.ContinueFinalMessage,
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

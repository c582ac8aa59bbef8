using System.ClientModel;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SelfLong.Data.Endpoints;

namespace SelfLong.Jobs.Endpoints;

/// <summary>
/// Every model call of SelfLong goes through here: answered from the <see cref="LlmCall"/> cache
/// when the same (endpoint, model, messages, parameters) was answered before; otherwise sent under
/// the endpoint's concurrency limit, retried with backoff on failure, and stored on success only.
/// </summary>
public sealed class LlmClient(
    LlmCallCache cache,
    EndpointConcurrencyLimiter limiter,
    ChatClientFactory chatClients,
    IOptions<LlmRetryOptions> retryOptions,
    ILogger<LlmClient> logger)
{
    public async Task<LlmResult> CompleteAsync(ModelEndpoint endpoint, LlmRequest request, CancellationToken ct = default)
    {
        var requestJson = CanonicalJson(endpoint, request);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(requestJson)));
        if (await cache.FindAsync(hash, ct) is { } cached) return cached;

        var chat = chatClients.For(endpoint);
        var options = retryOptions.Value;
        var messages = request.Messages.Select(m => new ChatMessage(new ChatRole(m.Role), m.Content)).ToList();
        var chatOptions = new ChatOptions { MaxOutputTokens = request.MaxOutputTokens, Temperature = request.Temperature, Seed = request.Seed };
        var backoff = options.InitialBackoff;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                ChatResponse response;
                var watch = Stopwatch.StartNew();
                await using (await limiter.AcquireAsync(endpoint, ct))
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    timeout.CancelAfter(TimeSpan.FromSeconds(Math.Max(1, endpoint.TimeoutSeconds)));
                    watch.Restart();
                    response = await chat.GetResponseAsync(messages, chatOptions, timeout.Token);
                }
                var text = response.Text;
                if (string.IsNullOrWhiteSpace(text)) throw new InvalidDataException("The model returned an empty answer.");
                var result = new LlmResult(text, false, (int)(response.Usage?.InputTokenCount ?? 0),
                    (int)(response.Usage?.OutputTokenCount ?? 0), (int)watch.ElapsedMilliseconds);
                await cache.StoreAsync(endpoint, hash, requestJson, result);
                return result;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && IsRetryable(ex) && attempt < options.Attempts)
            {
                // The message never carries the key: the SDK's errors hold status and body only.
                logger.LogWarning("Call to endpoint {Endpoint} failed (attempt {Attempt} of {Attempts}): {Error}",
                    endpoint.Name, attempt, options.Attempts, ex.Message);
                var jitter = 0.5 + Random.Shared.NextDouble() / 2;
                await Task.Delay(backoff * jitter, ct);
                backoff = TimeSpan.FromTicks(Math.Min(options.MaxBackoff.Ticks, backoff.Ticks * 2));
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && ex is not EndpointUnavailableException)
            {
                throw new LlmCallFailedException($"Endpoint '{endpoint.Name}' failed after {attempt} attempt(s): {ex.Message}", ex);
            }
        }
    }

    /// <summary>Client errors other than rate limits and timeouts will fail again the same way.</summary>
    private static bool IsRetryable(Exception ex) => ex switch
    {
        EndpointUnavailableException => false,
        ClientResultException { Status: >= 400 and < 500 and not 408 and not 429 } => false,
        _ => true,
    };

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

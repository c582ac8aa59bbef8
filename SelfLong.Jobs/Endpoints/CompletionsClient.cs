using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using SelfLong.Data.Endpoints;
using SelfLong.Jobs.ModelCalls;

namespace SelfLong.Jobs.Endpoints;

/// <summary>
/// The legacy <c>/completions</c> route, which the OpenAI client lacks and RULER's prompts need (the
/// chat template applied by SelfLong, the answer prefix after it). One attempt per call: retries,
/// timeouts and the concurrency limit are <see cref="LlmClient"/>'s.
/// </summary>
public sealed class CompletionsClient(IHttpClientFactory http, EndpointSecrets secrets)
{
    public async Task<(string Text, int PromptTokens, int CompletionTokens)> CompleteAsync(ModelEndpoint endpoint, LlmRequest request, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["model"] = endpoint.Model, ["prompt"] = request.Prompt, ["max_tokens"] = request.MaxOutputTokens, ["temperature"] = request.Temperature,
        };
        if (request.Seed is { } seed) body["seed"] = seed;
        using var message = new HttpRequestMessage(HttpMethod.Post, $"{endpoint.BaseUrl?.TrimEnd('/')}/completions")
        {
            // A sized body rather than chunked: some small inference servers do not read chunked requests.
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (secrets.Unprotect(endpoint.ProtectedApiKey) is { Length: > 0 } key) message.Headers.Authorization = new("Bearer", key);
        using var response = await http.CreateClient(nameof(CompletionsClient)).SendAsync(message, ct);
        if (!response.IsSuccessStatusCode) throw TransientModelErrors.ForStatus(response, "The endpoint's completions");
        var json = await response.Content.ReadFromJsonAsync<JsonObject>(ct) ?? throw new InvalidDataException("The endpoint's completions answer was empty.");
        var text = json["choices"]?[0]?["text"]?.GetValue<string>() ?? throw new InvalidDataException("The endpoint's completions answer has no choices[0].text.");
        return (text, json["usage"]?["prompt_tokens"]?.GetValue<int>() ?? 0, json["usage"]?["completion_tokens"]?.GetValue<int>() ?? 0);
    }
}

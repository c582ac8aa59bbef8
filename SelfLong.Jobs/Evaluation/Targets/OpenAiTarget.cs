using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using SelfLong.Jobs.ModelCalls;
using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Evaluation.Targets;

/// <summary>
/// An OpenAI-compatible endpoint (vLLM, TGI, llama.cpp, Ollama ...): completions with SelfLong's chat
/// template, or chat completions. Temperature 0. Each call goes under the one <see cref="ModelCallPolicy"/>;
/// the API key goes only into the Authorization header.
/// </summary>
public sealed class OpenAiTarget(HttpClient http, OpenAiTargetOptions options, ITokenCounter tokenizer, ModelCallPolicy policy) : IEvaluationTarget
{

    public int MaxLength => options.MaxLength;
    public string TokenizerName => tokenizer.Name;
    public int CountTokens(string text) => tokenizer.CountTokens(text);

    /// <summary>What the chat template adds (completions); a chat server's own template is unknown here, so a small allowance.</summary>
    public int TemplateTokens => options.Chat ? ChatAllowance : tokenizer.CountTokens(ChatTemplates.Apply(options.ChatTemplate, "", ""));

    /// <summary>Tokens a typical chat template adds around one user turn.</summary>
    public const int ChatAllowance = 16;

    public string Describe() => options.Chat
        ? $"chat completions at {options.BaseUrl}, model {options.Model}"
        : $"completions at {options.BaseUrl}, model {options.Model}, chat template {options.ChatTemplate}";

    public async Task<string> GenerateAsync(string prompt, string answerPrefix, int maxTokens, CancellationToken ct)
    {
        var body = options.Chat
            ? new JsonObject
            {
                ["model"] = options.Model,
                // A chat API cannot start the assistant turn, so the answer prefix ends the user turn.
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = $"{prompt} {answerPrefix}".TrimEnd() }),
                ["max_tokens"] = maxTokens,
                ["temperature"] = 0,
            }
            : new JsonObject
            {
                ["model"] = options.Model,
                ["prompt"] = ChatTemplates.Apply(options.ChatTemplate, prompt, answerPrefix),
                ["max_tokens"] = maxTokens,
                ["temperature"] = 0,
            };
        var path = options.Chat ? "chat/completions" : "completions";
        return await policy.ExecuteAsync(Target, async attempt =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"{options.BaseUrl.TrimEnd('/')}/{path}")
            {
                // A sized body rather than chunked: some small inference servers do not read chunked requests.
                Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
            };
            if (!string.IsNullOrEmpty(options.ApiKey)) request.Headers.Authorization = new("Bearer", options.ApiKey);
            using var response = await http.SendAsync(request, attempt);
            if (!response.IsSuccessStatusCode) throw TransientModelErrors.ForStatus(response, $"The endpoint's {path}");
            var json = await response.Content.ReadFromJsonAsync<JsonObject>(attempt)
                ?? throw new InvalidDataException($"The endpoint's {path} answer was empty.");
            var choice = json["choices"]?[0];
            return (options.Chat ? choice?["message"]?["content"] : choice?["text"])?.GetValue<string>()
                ?? throw new InvalidDataException($"The endpoint's {path} answer has no {(options.Chat ? "choices[0].message.content" : "choices[0].text")}.");
        }, ct);
    }

    private ModelCallTarget Target => new($"target:{options.BaseUrl.TrimEnd('/')}:{options.Model}", $"Endpoint {options.Model} at {options.BaseUrl}",
        policy.EvaluationAttemptTimeout);

    public void Dispose() { }
}

public sealed record OpenAiTargetOptions(string BaseUrl, string Model, string? ApiKey, bool Chat, string ChatTemplate, int MaxLength);

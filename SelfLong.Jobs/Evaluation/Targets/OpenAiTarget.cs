using System.Net;
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
        var body = BuildBody(prompt, answerPrefix, maxTokens);
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

    /// <summary>
    /// The request body. Completions: SelfLong's chat template with the answer prefix after it. Chat:
    /// RULER's chat path, the answer prefix as a final assistant message the server continues
    /// (vLLM's continue_final_message, which needs add_generation_prompt off); where the server
    /// refused that, the prefix ends the user turn instead.
    /// </summary>
    internal JsonObject BuildBody(string prompt, string answerPrefix, int maxTokens)
    {
        var body = new JsonObject { ["model"] = options.Model };
        if (!options.Chat)
            body["prompt"] = ChatTemplates.Apply(options.ChatTemplate, prompt, answerPrefix);
        else if (answerPrefix.Length > 0 && prefill != false)
        {
            body["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = prompt },
                new JsonObject { ["role"] = "assistant", ["content"] = answerPrefix });
            body["continue_final_message"] = true;
            body["add_generation_prompt"] = false;
        }
        else
            body["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = (prompt + answerPrefix).TrimEnd() });
        if (options.Chat && options.System is { } system)
            body["messages"]!.AsArray().Insert(0, new JsonObject { ["role"] = "system", ["content"] = system });
        body["max_tokens"] = maxTokens;
        body["temperature"] = 0;
        return body;
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
        catch (ModelCallFailedException e) when (e.InnerException is HttpRequestException { StatusCode: HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity } refused)
        {
            prefill = false;
            prefillRefusal = $"{(int)refused.StatusCode!}";
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
public sealed record OpenAiTargetOptions(string BaseUrl, string Model, string? ApiKey, bool Chat, string ChatTemplate, int MaxLength, string? System = null);

using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using SelfLong.Jobs.ModelCalls;
using SelfLong.Jobs.Text;

namespace SelfLong.Jobs.Evaluation.Targets;

/// <summary>
/// Counts tokens with the serving engine's own tokenizer through its /tokenize route (vLLM serves it
/// beside /v1: POST {"model", "prompt"} answers {"count", ...}), so prompts are sized in the target's
/// tokens without a copy of its tokenizer here. Each count is a model call under the one
/// <see cref="ModelCallPolicy"/> (the route has a circuit of its own, and the evaluation attempt
/// timeout): a dropped connection or a 503 while a run sizes its prompts is retried, not the end of
/// the run. Short texts (the many sentence and word costs that sizing sums) are cached.
/// </summary>
public sealed class ServerTokenCounter(HttpClient http, ModelCallPolicy policy, string baseUrl, string model, string? apiKey) : ITokenCounter
{
    /// <summary>The tokenizer choice that means "ask the server".</summary>
    public const string Choice = "server";

    private const int CachedLength = 400;

    private readonly ConcurrentDictionary<string, int> cache = new();

    /// <summary>The route: the server root of a ".../v1" base URL, then /tokenize.</summary>
    public string Route { get; } = TokenizeUrl(baseUrl);

    public string Name => $"the server's own tokenizer ({Route}, model {model})";

    private ModelCallTarget Target => new($"tokenize:{Route}:{model}", $"The server's tokenizer route {Route}", policy.EvaluationAttemptTimeout)
    {
        Operation = "tokenize",
        Endpoint = new Uri(Route).Authority,
        Model = model,
    };

    public int CountTokens(string text)
    {
        if (text.Length == 0) return 0;
        if (text.Length > CachedLength) return Ask(text);
        return cache.GetOrAdd(text, Ask);
    }

    public string Truncate(string text, int maxTokens) => TokenCounters.LongestPrefix(this, text, maxTokens);

    /// <summary>
    /// One attempt, no retries: the check made where a user chooses this tokenizer answers at once
    /// (a route that is missing or down is an error to show there, not a wait of minutes).
    /// </summary>
    public int Probe(string text) => AskOnce(text, CancellationToken.None);

    public static string TokenizeUrl(string baseUrl)
    {
        var root = baseUrl.TrimEnd('/');
        if (root.EndsWith("/v1", StringComparison.OrdinalIgnoreCase)) root = root[..^3];
        return root + "/tokenize";
    }

    /// <summary>Synchronous on purpose: sizing calls the counter from plain (and parallel) code.</summary>
    private int Ask(string text) => policy.Execute(Target, token => AskOnce(text, token));

    /// <summary>The answer's "count" is the prompt's tokens without special tokens, as the other counters count.</summary>
    private int AskOnce(string text, CancellationToken ct)
    {
        var body = new JsonObject { ["model"] = model, ["prompt"] = text, ["add_special_tokens"] = false };
        using var request = new HttpRequestMessage(HttpMethod.Post, Route)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (!string.IsNullOrEmpty(apiKey)) request.Headers.Authorization = new("Bearer", apiKey);
        using var response = http.Send(request, ct);
        if (!response.IsSuccessStatusCode)
            throw TransientModelErrors.ForStatus(response, $"The server's tokenizer route {Route}", "choose a tokenizer folder or name instead");
        using var stream = response.Content.ReadAsStream(ct);
        var json = JsonNode.Parse(stream);
        return json?["count"]?.GetValue<int>() ?? json?["tokens"]?.AsArray().Count
            ?? throw new InvalidDataException($"The answer from {Route} has no \"count\" or \"tokens\".");
    }
}

using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace SelfLong.Tests.Infrastructure;

/// <summary>What the server does with the next request instead of answering.</summary>
public enum OpenAiFault { ServerError, Hang, MalformedJson, RateLimited, DropConnection }

/// <summary>
/// A small OpenAI-compatible server on 127.0.0.1 for tests: real HTTP, deterministic answers.
/// Serves /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/models and vLLM's /tokenize; can add latency,
/// inject faults, require an API key, and records every request and the peak concurrency.
/// </summary>
public sealed class OpenAiTestServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<OpenAiFault> faults = new();
    private readonly ConcurrentQueue<JsonObject> requests = new();
    private int inFlight;
    private int peakInFlight;

    private OpenAiTestServer(WebApplication app) => this.app = app;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The base URL clients are given: <c>http://127.0.0.1:port/v1</c>.</summary>
    public string V1 => new Uri(BaseAddress, "v1").ToString();

    /// <summary>Chat answer for a request (messages as (role, content)); default: a deterministic digest.</summary>
    public Func<IReadOnlyList<(string Role, string Content)>, string> ChatResponder { get; set; } = DefaultChatAnswer;

    /// <summary>Text completion for a prompt; default: a deterministic digest.</summary>
    public Func<string, string> CompletionResponder { get; set; } = prompt => DefaultChatAnswer([("user", prompt)]);

    public int EmbeddingDimension { get; set; } = 16;
    public TimeSpan Latency { get; set; } = TimeSpan.Zero;
    public TimeSpan HangFor { get; set; } = TimeSpan.FromSeconds(30);
    public string? RequiredApiKey { get; set; }

    /// <summary>Sent as Retry-After with every injected 429.</summary>
    public int? RetryAfterSeconds { get; set; }

    /// <summary>
    /// Whether chat requests may carry vLLM's continue_final_message; when false they are refused with
    /// 400 as a server without it refuses unknown arguments.
    /// </summary>
    public bool AcceptsContinueFinalMessage { get; set; } = true;

    /// <summary>Whether the server has vLLM's /tokenize route (beside /v1); when false it answers 404 there.</summary>
    public bool ServesTokenize { get; set; } = true;

    /// <summary>
    /// The test server's own tokenizer: each run of letters or digits and each other visible character
    /// is a token. Unlike cl100k_base, so a prompt sized with it shows which tokenizer sized it.
    /// </summary>
    public static int ServerTokens(string text) => ServerTokenPattern.Count(text);

    private static readonly System.Text.RegularExpressions.Regex ServerTokenPattern =
        new(@"[\p{L}\p{N}]+|[^\s\p{L}\p{N}]", System.Text.RegularExpressions.RegexOptions.Compiled);

    public int PeakConcurrency => Volatile.Read(ref peakInFlight);
    public IReadOnlyList<JsonObject> Requests => [.. requests];
    public int RequestCount => requests.Count;

    /// <summary>
    /// Answers the next <paramref name="answered"/> requests, then holds every later one until
    /// <see cref="Release"/> (or until its client gives up). A test that cancels a run while requests are
    /// held knows the run is mid-way: it cannot finish first, however fast the machine.
    /// </summary>
    public void HoldAfter(int answered)
    {
        gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref admitted, 0);
        Volatile.Write(ref holdAfter, answered);
    }

    /// <summary>Lets every held request, and every later one, through.</summary>
    public void Release()
    {
        Volatile.Write(ref holdAfter, int.MaxValue);
        gate.TrySetResult();
    }

    /// <summary>Requests waiting at the gate now.</summary>
    public int Held => Volatile.Read(ref held);

    private TaskCompletionSource gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int holdAfter = int.MaxValue;
    private int admitted;
    private int held;

    private async Task PassGateAsync(CancellationToken ct)
    {
        if (Interlocked.Increment(ref admitted) <= Volatile.Read(ref holdAfter)) return;
        Interlocked.Increment(ref held);
        try
        {
            await gate.Task.WaitAsync(ct);
        }
        finally
        {
            Interlocked.Decrement(ref held);
        }
    }

    /// <summary>Faults for the next requests, one each, in order, whatever their route (/tokenize included).</summary>
    public void EnqueueFaults(params OpenAiFault[] next)
    {
        foreach (var fault in next) faults.Enqueue(fault);
    }

    public static async Task<OpenAiTestServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new OpenAiTestServer(app);
        app.MapGet("/v1/models", () => Results.Json(new { @object = "list", data = new[] { new { id = "test-model", @object = "model" } } }));
        app.MapPost("/v1/chat/completions", server.HandleAsync);
        app.MapPost("/v1/completions", server.HandleAsync);
        app.MapPost("/v1/embeddings", server.HandleAsync);
        app.MapPost("/tokenize", server.TokenizeAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        server.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    private async Task TokenizeAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        var body = (JsonObject?)await JsonNode.ParseAsync(context.Request.Body, cancellationToken: ct) ?? [];
        Interlocked.Increment(ref tokenizeCalls);
        if (await InjectedFaultAsync(context, ct)) return;
        if (!ServesTokenize)
        {
            context.Response.StatusCode = 404;
            await context.Response.WriteAsJsonAsync(new { detail = "Not Found" }, ct);
            return;
        }
        var count = ServerTokens(body["prompt"]?.GetValue<string>() ?? "");
        await context.Response.WriteAsJsonAsync(new { count, max_model_len = 1_048_576, tokens = Enumerable.Range(0, count) }, ct);
    }

    private int tokenizeCalls;

    /// <summary>Answers with the next queued fault instead of the route's answer; false when none is queued.</summary>
    private async Task<bool> InjectedFaultAsync(HttpContext context, CancellationToken ct)
    {
        if (!faults.TryDequeue(out var fault)) return false;
        switch (fault)
        {
            case OpenAiFault.ServerError:
                context.Response.StatusCode = 500;
                await context.Response.WriteAsJsonAsync(new { error = new { message = "injected failure" } }, ct);
                break;
            case OpenAiFault.RateLimited:
                context.Response.StatusCode = 429;
                if (RetryAfterSeconds is { } wait) context.Response.Headers.RetryAfter = wait.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await context.Response.WriteAsJsonAsync(new { error = new { message = "slow down" } }, ct);
                break;
            case OpenAiFault.DropConnection:
                context.Abort();
                break;
            case OpenAiFault.Hang:
                await Task.Delay(HangFor, ct);
                break;
            case OpenAiFault.MalformedJson:
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"choices\": [ {\"message\": ", ct);
                break;
        }
        return true;
    }

    public int TokenizeCalls => Volatile.Read(ref tokenizeCalls);

    private async Task HandleAsync(HttpContext context)
    {
        var now = Interlocked.Increment(ref inFlight);
        int peak;
        while (now > (peak = Volatile.Read(ref peakInFlight)) && Interlocked.CompareExchange(ref peakInFlight, now, peak) != peak) { }
        try
        {
            await AnswerAsync(context);
        }
        finally
        {
            Interlocked.Decrement(ref inFlight);
        }
    }

    private async Task AnswerAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        var body = (JsonObject?)await JsonNode.ParseAsync(context.Request.Body, cancellationToken: ct) ?? [];
        requests.Enqueue(body);

        if (RequiredApiKey is not null && context.Request.Headers.Authorization.ToString() != $"Bearer {RequiredApiKey}")
        {
            context.Response.StatusCode = 401;
            await context.Response.WriteAsJsonAsync(new { error = new { message = "Incorrect API key provided." } }, ct);
            return;
        }
        await PassGateAsync(ct);
        if (Latency > TimeSpan.Zero) await Task.Delay(Latency, ct);
        if (await InjectedFaultAsync(context, ct)) return;

        var path = context.Request.Path.Value ?? "";
        if (path == "/v1/chat/completions" && body["continue_final_message"] is not null && RefusesPrefill(body) is { } refusal)
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsJsonAsync(new { error = new { message = refusal } }, ct);
            return;
        }
        var model = body["model"]?.GetValue<string>() ?? "test-model";
        object response = path switch
        {
            "/v1/chat/completions" => Chat(body, model),
            "/v1/completions" => Completion(body, model),
            _ => Embeddings(body, model),
        };
        await context.Response.WriteAsJsonAsync(response, ct);
    }

    /// <summary>vLLM's own checks on a prefill request, or a plain refusal when prefill is switched off.</summary>
    private string? RefusesPrefill(JsonObject body)
    {
        if (!AcceptsContinueFinalMessage) return "Unrecognized request argument supplied: continue_final_message";
        if (body["continue_final_message"]!.GetValue<bool>() && body["add_generation_prompt"]?.GetValue<bool>() != false)
            return "Cannot set both `continue_final_message` and `add_generation_prompt` to True.";
        if (body["messages"]?.AsArray().LastOrDefault()?["role"]?.GetValue<string>() != "assistant")
            return "continue_final_message needs a final assistant message.";
        return null;
    }

    private object Chat(JsonObject body, string model)
    {
        var messages = body["messages"]?.AsArray()
            .Select(m => (m!["role"]!.GetValue<string>(), ContentText(m["content"])))
            .ToList() ?? [];
        var answer = ChatResponder(messages);
        var promptTokens = messages.Sum(m => CountWords(m.Item2));
        return new
        {
            id = $"chatcmpl-{Digest(answer)[..12]}",
            @object = "chat.completion",
            created = 1_700_000_000,
            model,
            choices = new[] { new { index = 0, message = new { role = "assistant", content = answer }, finish_reason = "stop" } },
            usage = new { prompt_tokens = promptTokens, completion_tokens = CountWords(answer), total_tokens = promptTokens + CountWords(answer) },
        };
    }

    private object Completion(JsonObject body, string model)
    {
        var prompt = body["prompt"]?.GetValue<string>() ?? "";
        var answer = CompletionResponder(prompt);
        return new
        {
            id = $"cmpl-{Digest(answer)[..12]}",
            @object = "text_completion",
            created = 1_700_000_000,
            model,
            choices = new[] { new { index = 0, text = answer, finish_reason = "stop" } },
            usage = new { prompt_tokens = CountWords(prompt), completion_tokens = CountWords(answer), total_tokens = CountWords(prompt) + CountWords(answer) },
        };
    }

    private object Embeddings(JsonObject body, string model)
    {
        var inputs = body["input"] switch
        {
            JsonArray array => array.Select(n => n!.GetValue<string>()).ToList(),
            JsonNode node => [node.GetValue<string>()],
            _ => [],
        };
        return new
        {
            @object = "list",
            model,
            data = inputs.Select((text, i) => new { @object = "embedding", index = i, embedding = Embed(text, EmbeddingDimension) }).ToArray(),
            usage = new { prompt_tokens = inputs.Sum(CountWords), total_tokens = inputs.Sum(CountWords) },
        };
    }

    /// <summary>A deterministic unit vector from the text's hash: equal texts, equal vectors.</summary>
    public static float[] Embed(string text, int dimension)
    {
        var seed = BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        var random = new Random(seed);
        var v = Enumerable.Range(0, dimension).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }

    public static string DefaultChatAnswer(IReadOnlyList<(string Role, string Content)> messages) =>
        $"Answer {Digest(string.Join("\n", messages.Select(m => $"{m.Role}:{m.Content}")))[..16]}";

    private static string ContentText(JsonNode? content) => content switch
    {
        JsonArray parts => string.Concat(parts.Select(p => p?["text"]?.GetValue<string>() ?? "")),
        JsonNode node => node.GetValue<string>(),
        _ => "",
    };

    private static int CountWords(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    private static string Digest(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

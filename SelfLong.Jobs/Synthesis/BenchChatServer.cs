using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SelfLong.Jobs.Synthesis;

/// <summary>
/// The benchmark's own OpenAI-compatible chat server on 127.0.0.1: every answer after a fixed
/// latency, deterministic text sized like the step asks (summaries of ~300 words), so the measured
/// gap to the ideal C/L is SelfLong's own overhead.
/// </summary>
public sealed class BenchChatServer : IAsyncDisposable
{
    private static readonly string[] Words =
        "the ship sailed north while the crew watched whales rise near the ice and the captain wrote of storms harbours oil and trade".Split(' ');

    private readonly WebApplication app;
    private readonly FaultMix faults;
    private readonly Random draws;
    private readonly int[] injected = new int[4];

    private BenchChatServer(WebApplication app, TimeSpan latency, FaultMix? faults)
    {
        this.app = app;
        Latency = latency;
        this.faults = faults ?? FaultMix.None;
        draws = new Random(this.faults.Seed);
    }

    public TimeSpan Latency { get; }

    /// <summary>Faults injected so far: dropped connections, 500s, 429s, hangs.</summary>
    public (int Dropped, int ServerErrors, int RateLimited, int Hung) Injected => (injected[0], injected[1], injected[2], injected[3]);
    public string V1 { get; private set; } = "";

    public static async Task<BenchChatServer> StartAsync(TimeSpan latency, FaultMix? faults = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new BenchChatServer(app, latency, faults);
        app.MapPost("/v1/chat/completions", server.ChatAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        server.V1 = address.TrimEnd('/') + "/v1";
        return server;
    }

    private async Task ChatAsync(HttpContext context)
    {
        // The latency runs from the request's arrival, so the server's own parsing and text making
        // happen inside it: every call takes L, as the ideal C/L assumes, not L plus the server's work.
        var latency = Task.Delay(Latency, context.RequestAborted);
        if (await InjectFaultAsync(context)) return;
        var body = (JsonObject?)await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) ?? [];
        var prompt = body["messages"]?.AsArray().LastOrDefault()?["content"]?.GetValue<string>() ?? "";
        var words = prompt.Contains("Summarize the text above", StringComparison.Ordinal) ? 300 : prompt.Contains("Write one ", StringComparison.Ordinal) ? 25 : 200;
        var answer = Text(prompt, words);
        await latency;
        await context.Response.WriteAsJsonAsync(new
        {
            id = "bench", @object = "chat.completion", created = 1_700_000_000, model = body["model"]?.GetValue<string>() ?? "bench",
            choices = new[] { new { index = 0, message = new { role = "assistant", content = answer }, finish_reason = "stop" } },
            usage = new { prompt_tokens = prompt.Length / 4, completion_tokens = words, total_tokens = prompt.Length / 4 + words },
        }, context.RequestAborted);
    }

    /// <summary>Answers with a fault instead, as often as the mix says; true when it did.</summary>
    private async Task<bool> InjectFaultAsync(HttpContext context)
    {
        double draw;
        lock (draws) draw = draws.NextDouble();
        var kind = draw < faults.Drop ? 0 : draw < faults.Drop + faults.ServerError ? 1
            : draw < faults.Drop + faults.ServerError + faults.RateLimited ? 2 : draw < faults.Drop + faults.ServerError + faults.RateLimited + faults.Hang ? 3 : -1;
        if (kind < 0) return false;
        Interlocked.Increment(ref injected[kind]);
        switch (kind)
        {
            case 0:
                context.Abort();
                break;
            case 1:
                context.Response.StatusCode = 500;
                await context.Response.WriteAsJsonAsync(new { error = new { message = "injected server error" } });
                break;
            case 2:
                context.Response.StatusCode = 429;
                context.Response.Headers.RetryAfter = "1";
                await context.Response.WriteAsJsonAsync(new { error = new { message = "injected rate limit" } });
                break;
            default:
                // Hangs until the client gives up on the attempt.
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                break;
        }
        return true;
    }

    private static string Text(string prompt, int words)
    {
        var random = new Random(BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes(prompt))));
        var text = new StringBuilder();
        for (var i = 0; i < words; i++)
        {
            text.Append(Words[random.Next(Words.Length)]).Append(i % 12 == 11 ? ". " : " ");
        }
        return text.ToString().Trim();
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

/// <summary>Shares of requests the bench server answers with a fault; the rest are answered normally.</summary>
public sealed record FaultMix(double Drop, double ServerError, double RateLimited, double Hang, int Seed = 7)
{
    public static readonly FaultMix None = new(0, 0, 0, 0);
}

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

    private BenchChatServer(WebApplication app, TimeSpan latency)
    {
        this.app = app;
        Latency = latency;
    }

    public TimeSpan Latency { get; }
    public string V1 { get; private set; } = "";

    public static async Task<BenchChatServer> StartAsync(TimeSpan latency)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new BenchChatServer(app, latency);
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

using Microsoft.EntityFrameworkCore;
using SelfLong.Data.Endpoints;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.ModelCalls;
using SelfLong.Tests.Synthesis;
using SelfLong.Jobs.Evaluation.Targets;
using SelfLong.Jobs.Text;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Evaluation;

[NeedsDatabase]
public sealed class OpenAiTargetTests
{
    [Fact]
    public async Task GenerateAsync_Chat_PrefillsAnswerPrefixAsAssistantMessageGreedily()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        await using var host = await SynthesisTestHost.CreateAsync(attempts: 5);
        server.ChatResponder = messages => string.Join("|", messages.Select(m => $"{m.Role}:{m.Content}"));
        using var target = await TargetAsync(host, server, chat: true, "none");

        await target.PrepareAsync(ct);
        var answer = await target.GenerateAsync("What is it?", " Answer:", 12, ct);

        Assert.Equal("user:What is it?|assistant: Answer:", answer);
        var request = server.Requests[^1];
        Assert.True(request["continue_final_message"]!.GetValue<bool>());
        Assert.False(request["add_generation_prompt"]!.GetValue<bool>());
        Assert.Equal(0, request["temperature"]!.GetValue<int>());
        Assert.Equal(12, request["max_completion_tokens"]!.GetValue<int>());
        Assert.Equal("answer prefix prefilled as the assistant message (continue_final_message)", target.PromptLayout);
        Assert.StartsWith("chat completions at", target.Describe());
    }

    [Fact]
    public async Task GenerateAsync_ChatServerRefusesPrefill_FallsBackToUserTurnWithLabel()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        await using var host = await SynthesisTestHost.CreateAsync(attempts: 5);
        server.AcceptsContinueFinalMessage = false;
        server.ChatResponder = messages => string.Join("|", messages.Select(m => $"{m.Role}:{m.Content}"));
        using var target = await TargetAsync(host, server, chat: true, "none");

        await target.PrepareAsync(ct);
        var answer = await target.GenerateAsync("What is it?", " Answer:", 12, ct);

        Assert.Equal("user:What is it? Answer:", answer);
        Assert.Null(server.Requests[^1]["continue_final_message"]);
        Assert.Equal("answer prefix at the end of the user turn: the server refused continue_final_message (400)", target.PromptLayout);
    }

    [Fact]
    public async Task GenerateAsync_ChatWithoutAnswerPrefix_PlainUserTurn()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        await using var host = await SynthesisTestHost.CreateAsync(attempts: 5);
        server.ChatResponder = messages => string.Join("|", messages.Select(m => $"{m.Role}:{m.Content}"));
        using var target = await TargetAsync(host, server, chat: true, "none");

        Assert.Equal("user:Judge this.", await target.GenerateAsync("Judge this.", "", 4, ct));
        Assert.Null(server.Requests.Single()["continue_final_message"]);
    }

    [Fact]
    public async Task GenerateAsync_ServerErrorThenSuccess_RetriesAndAnswers()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        await using var host = await SynthesisTestHost.CreateAsync(attempts: 5);
        server.CompletionResponder = _ => " 42";
        server.EnqueueFaults(OpenAiFault.ServerError);
        using var target = await TargetAsync(host, server, chat: false, "chatml", "k");

        Assert.Equal(" 42", await target.GenerateAsync("Q", "A:", 5, ct));
        Assert.Equal(2, server.RequestCount);
        Assert.Equal("<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\nA:", server.Requests[1]["prompt"]!.GetValue<string>());
        Assert.True(target.TemplateTokens > 5);
    }

    [Fact]
    public async Task GenerateAsync_WrongKey_FailsWithStatusAndNoKeyInMessage()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        await using var host = await SynthesisTestHost.CreateAsync(attempts: 5);
        server.RequiredApiKey = "right-key";
        using var target = await TargetAsync(host, server, chat: false, "none", "wrong-key");

        var error = await Assert.ThrowsAsync<ModelCallFailedException>(() => target.GenerateAsync("Q", "A:", 5, ct));
        Assert.Contains("401", error.Message);
        Assert.DoesNotContain("wrong-key", error.Message);
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public async Task GenerateAsync_DroppedConnectionServerErrorAndRateLimit_RetriedUnderThePolicy()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        await using var host = await SynthesisTestHost.CreateAsync(attempts: 5);
        server.CompletionResponder = _ => "fine";
        server.EnqueueFaults(OpenAiFault.DropConnection, OpenAiFault.ServerError, OpenAiFault.RateLimited, OpenAiFault.MalformedJson);
        using var target = await TargetAsync(host, server, chat: false, "none");

        Assert.Equal("fine", await target.GenerateAsync("Q", "A:", 5, ct));
        Assert.Equal(5, server.RequestCount);
    }

    [Fact]
    public async Task GenerateAsync_RateLimitedWithRetryAfter_WaitsAsTheServerAsks()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        // Backoff alone would wait 20 ms; the server asks for a second.
        await using var host = await SynthesisTestHost.CreateAsync(attempts: 5, maxBackoff: TimeSpan.FromSeconds(5));
        server.CompletionResponder = _ => "fine";
        server.RetryAfterSeconds = 1;
        server.EnqueueFaults(OpenAiFault.RateLimited);
        using var target = await TargetAsync(host, server, chat: false, "none");

        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("fine", await target.GenerateAsync("Q", "A:", 5, ct));
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.95), $"retried after {watch.Elapsed.TotalMilliseconds} ms");
        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public async Task GenerateAsync_SameCallInOneRunAndInAnother_ReusedOnlyWithinTheRun()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        await using var host = await SynthesisTestHost.CreateAsync();
        server.CompletionResponder = _ => "";
        var endpoint = await host.AddChatEndpointAsync(server);
        using var first = NewTarget(host, endpoint, chat: false, "none", scope: "evaluation:1");
        using var again = NewTarget(host, endpoint, chat: false, "none", scope: "evaluation:1");
        using var other = NewTarget(host, endpoint, chat: false, "none", scope: "evaluation:2");

        // An empty answer is an answer under evaluation: stored, not retried.
        Assert.Equal("", await first.GenerateAsync("Q", "A:", 5, ct));
        Assert.Equal(1, server.RequestCount);
        Assert.Equal("", await again.GenerateAsync("Q", "A:", 5, ct));
        Assert.Equal(1, server.RequestCount);
        await other.GenerateAsync("Q", "A:", 5, ct);
        Assert.Equal(2, server.RequestCount);
        await using var db = host.Database.CreateDbContext();
        Assert.Equal(2, await db.LlmCalls.CountAsync(c => c.EndpointId == endpoint.Id, ct));
    }

    /// <summary>A target over an endpoint row, as a run builds it: the one LlmClient, its cache, limiter and policy.</summary>
    private static async Task<OpenAiTarget> TargetAsync(SynthesisTestHost host, OpenAiTestServer server, bool chat, string template, string? apiKey = null) =>
        NewTarget(host, await host.AddChatEndpointAsync(server, apiKey: apiKey), chat, template, $"evaluation:{Guid.NewGuid():N}");

    private static OpenAiTarget NewTarget(SynthesisTestHost host, ModelEndpoint endpoint, bool chat, string template, string scope) =>
        new(host.Get<LlmClient>(), endpoint, new OpenAiTargetOptions(chat, template, 4096, CacheScope: scope), TiktokenTokenCounter.Default);
}

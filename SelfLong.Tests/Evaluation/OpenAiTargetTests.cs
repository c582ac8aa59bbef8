using SelfLong.Jobs.ModelCalls;
using SelfLong.Jobs.Evaluation.Targets;
using SelfLong.Jobs.Text;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Evaluation;

public sealed class OpenAiTargetTests
{
    [Fact]
    public async Task GenerateAsync_Chat_PrefillsAnswerPrefixAsAssistantMessageGreedily()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        server.ChatResponder = messages => string.Join("|", messages.Select(m => $"{m.Role}:{m.Content}"));
        using var http = new HttpClient();
        using var target = new OpenAiTarget(http, new OpenAiTargetOptions(server.V1, "m", null, Chat: true, "none", 4096), TiktokenTokenCounter.Default, TestModelCalls.Policy());

        await target.PrepareAsync(ct);
        var answer = await target.GenerateAsync("What is it?", " Answer:", 12, ct);

        Assert.Equal("user:What is it?|assistant: Answer:", answer);
        var request = server.Requests[^1];
        Assert.True(request["continue_final_message"]!.GetValue<bool>());
        Assert.False(request["add_generation_prompt"]!.GetValue<bool>());
        Assert.Equal(0, request["temperature"]!.GetValue<int>());
        Assert.Equal(12, request["max_tokens"]!.GetValue<int>());
        Assert.Equal("answer prefix prefilled as the assistant message (continue_final_message)", target.PromptLayout);
        Assert.StartsWith("chat completions at", target.Describe());
    }

    [Fact]
    public async Task GenerateAsync_ChatServerRefusesPrefill_FallsBackToUserTurnWithLabel()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        server.AcceptsContinueFinalMessage = false;
        server.ChatResponder = messages => string.Join("|", messages.Select(m => $"{m.Role}:{m.Content}"));
        using var http = new HttpClient();
        using var target = new OpenAiTarget(http, new OpenAiTargetOptions(server.V1, "m", null, Chat: true, "none", 4096), TiktokenTokenCounter.Default, TestModelCalls.Policy());

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
        server.ChatResponder = messages => string.Join("|", messages.Select(m => $"{m.Role}:{m.Content}"));
        using var http = new HttpClient();
        using var target = new OpenAiTarget(http, new OpenAiTargetOptions(server.V1, "m", null, Chat: true, "none", 4096), TiktokenTokenCounter.Default, TestModelCalls.Policy());

        Assert.Equal("user:Judge this.", await target.GenerateAsync("Judge this.", "", 4, ct));
        Assert.Null(server.Requests.Single()["continue_final_message"]);
    }

    [Fact]
    public async Task GenerateAsync_ServerErrorThenSuccess_RetriesAndAnswers()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        server.CompletionResponder = _ => " 42";
        server.EnqueueFaults(OpenAiFault.ServerError);
        using var http = new HttpClient();
        using var target = new OpenAiTarget(http, new OpenAiTargetOptions(server.V1, "m", "k", Chat: false, "chatml", 4096), TiktokenTokenCounter.Default, TestModelCalls.Policy());

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
        server.RequiredApiKey = "right-key";
        using var http = new HttpClient();
        using var target = new OpenAiTarget(http, new OpenAiTargetOptions(server.V1, "m", "wrong-key", Chat: false, "none", 4096), TiktokenTokenCounter.Default, TestModelCalls.Policy());

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
        server.CompletionResponder = _ => "fine";
        server.EnqueueFaults(OpenAiFault.DropConnection, OpenAiFault.ServerError, OpenAiFault.RateLimited, OpenAiFault.MalformedJson);
        using var http = new HttpClient();
        using var target = new OpenAiTarget(http, new OpenAiTargetOptions(server.V1, "m", null, Chat: false, "none", 4096), TiktokenTokenCounter.Default, TestModelCalls.Policy());

        Assert.Equal("fine", await target.GenerateAsync("Q", "A:", 5, ct));
        Assert.Equal(5, server.RequestCount);
    }

    [Fact]
    public async Task GenerateAsync_RateLimitedWithRetryAfter_WaitsAsTheServerAsks()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        server.CompletionResponder = _ => "fine";
        server.RetryAfterSeconds = 1;
        server.EnqueueFaults(OpenAiFault.RateLimited);
        using var http = new HttpClient();
        // Backoff alone would wait 20 ms; the server asks for a second.
        var options = TestModelCalls.Options();
        options.MaxBackoff = TimeSpan.FromSeconds(5);
        var policy = new ModelCallPolicy(Microsoft.Extensions.Options.Options.Create(options), Microsoft.Extensions.Logging.Abstractions.NullLogger<ModelCallPolicy>.Instance);
        using var target = new OpenAiTarget(http, new OpenAiTargetOptions(server.V1, "m", null, Chat: false, "none", 4096), TiktokenTokenCounter.Default, policy);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("fine", await target.GenerateAsync("Q", "A:", 5, ct));
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.95), $"retried after {watch.Elapsed.TotalMilliseconds} ms");
        Assert.Equal(2, server.RequestCount);
    }
}

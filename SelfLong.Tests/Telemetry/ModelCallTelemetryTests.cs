using System.Diagnostics;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.ModelCalls;
using SelfLong.Tests.Infrastructure;
using SelfLong.Tests.Synthesis;

namespace SelfLong.Tests.Telemetry;

/// <summary>Spans and metrics of real model calls (LlmClient over the test server), through the app's telemetry registration.</summary>
[NeedsDatabase]
[Collection(TelemetryCollection.Name)]
public sealed class ModelCallTelemetryTests
{
    private static LlmRequest Ask(string text) => new([LlmMessage.User(text)], MaxOutputTokens: 32, Temperature: 0.7f, Seed: 5);

    [Fact]
    public async Task CompleteAsync_RetriedCallThenCacheHit_EmitsCallSpansHttpChildrenAndMetrics()
    {
        var ct = TestContext.Current.CancellationToken;
        using var capture = new TelemetryCapture();
        await using var server = await OpenAiTestServer.StartAsync();
        await using var host = await SynthesisTestHost.CreateAsync(attempts: 3);
        var endpoint = await host.AddChatEndpointAsync(server);
        server.EnqueueFaults(OpenAiFault.ServerError);
        var llm = host.Get<LlmClient>();

        var sent = await llm.CompleteAsync(endpoint, Ask("Where does the Pequod sail from?"), ct);
        var cached = await llm.CompleteAsync(endpoint, Ask("Where does the Pequod sail from?"), ct);

        Assert.False(sent.Cached);
        Assert.True(cached.Cached);
        Assert.Equal(2, server.RequestCount);
        var calls = capture.Spans.Where(s => s.Source.Name == ModelCallTelemetry.Name && Equals(s.GetTagItem(ModelCallTelemetry.Endpoint), endpoint.Name)).ToList();
        Assert.Equal(2, calls.Count);
        var call = Assert.Single(calls, s => Equals(s.GetTagItem(ModelCallTelemetry.CacheHit), false));
        Assert.Equal("chat test-model", call.DisplayName);
        Assert.Equal(ActivityKind.Client, call.Kind);
        Assert.Equal("chat", call.GetTagItem(ModelCallTelemetry.Operation));
        Assert.Equal("test-model", call.GetTagItem(ModelCallTelemetry.Model));
        Assert.Equal("answered", call.GetTagItem(ModelCallTelemetry.Outcome));
        Assert.Equal(2, call.GetTagItem(ModelCallTelemetry.Attempts));
        Assert.Equal(sent.PromptTokens, call.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(sent.CompletionTokens, call.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.True(sent.PromptTokens > 0 && sent.CompletionTokens > 0);
        var retry = Assert.Single(call.Events);
        Assert.Equal("retry", retry.Name);
        // Both attempts' requests are children of the call's span: the failed one and the answered one.
        var requests = capture.Spans.Where(s => s.ParentSpanId == call.SpanId && s.Source.Name == "System.Net.Http").ToList();
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r => Assert.Equal(call.TraceId, r.TraceId));
        var hit = Assert.Single(calls, s => Equals(s.GetTagItem(ModelCallTelemetry.CacheHit), true));
        Assert.Equal("cached", hit.GetTagItem(ModelCallTelemetry.Outcome));
        Assert.DoesNotContain(capture.Spans, s => s.ParentSpanId == hit.SpanId);

        var labels = (ModelCallTelemetry.Endpoint, (object)endpoint.Name);
        Assert.Equal(1, capture.Sum("selflong.model_call.calls", labels, (ModelCallTelemetry.Outcome, "answered")));
        Assert.Equal(1, capture.Sum("selflong.model_call.calls", labels, (ModelCallTelemetry.Outcome, "cached")));
        Assert.Equal(1, capture.Sum("selflong.model_call.retries", labels));
        Assert.Equal(1, capture.Sum("selflong.model_call.cache_hits", labels));
        Assert.Equal(sent.PromptTokens, capture.Sum("selflong.model_call.prompt_tokens", labels));
        Assert.Equal(sent.CompletionTokens, capture.Sum("selflong.model_call.completion_tokens", labels));
        // Only sent calls are timed: a cache hit would pull the latency towards zero.
        var duration = Assert.Single(capture.Points("selflong.model_call.duration", labels));
        Assert.Equal(1, duration.GetHistogramCount());
        Assert.True(duration.GetHistogramSum() > 0);
    }

    [Fact]
    public async Task CompleteAsync_RefusedCall_EndsTheSpanAsAnErrorAndCountsAFailure()
    {
        var ct = TestContext.Current.CancellationToken;
        using var capture = new TelemetryCapture();
        await using var server = await OpenAiTestServer.StartAsync();
        server.RequiredApiKey = "sk-right";
        await using var host = await SynthesisTestHost.CreateAsync(attempts: 3);
        var endpoint = await host.AddChatEndpointAsync(server, apiKey: "sk-wrong");

        await Assert.ThrowsAsync<ModelCallFailedException>(() => host.Get<LlmClient>().CompleteAsync(endpoint, Ask("Who is Ishmael?"), ct));

        var call = Assert.Single(capture.Spans, s => s.Source.Name == ModelCallTelemetry.Name && Equals(s.GetTagItem(ModelCallTelemetry.Endpoint), endpoint.Name));
        Assert.Equal(ActivityStatusCode.Error, call.Status);
        Assert.Equal("failed", call.GetTagItem(ModelCallTelemetry.Outcome));
        Assert.Equal(1, call.GetTagItem(ModelCallTelemetry.Attempts));
        Assert.DoesNotContain("sk-wrong", call.StatusDescription);
        var labels = (ModelCallTelemetry.Endpoint, (object)endpoint.Name);
        Assert.Equal(1, capture.Sum("selflong.model_call.calls", labels, (ModelCallTelemetry.Outcome, "failed")));
        Assert.Equal(0, capture.Sum("selflong.model_call.retries", labels));
    }
}

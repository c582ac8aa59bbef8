using SelfLong.Jobs.ModelCalls;
using Microsoft.EntityFrameworkCore;
using SelfLong.Jobs.Endpoints;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Synthesis;

public sealed class LlmClientTests
{
    private static LlmRequest Ask(string text) => new([LlmMessage.User(text)], MaxOutputTokens: 32, Temperature: 0.7f, Seed: 5);

    [Fact]
    public async Task CompleteAsync_SameRequestTwice_SecondIsCacheHitWithoutRequest()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        await using var host = await SynthesisTestHost.CreateAsync();
        var endpoint = await host.AddChatEndpointAsync(server);
        var llm = host.Get<LlmClient>();

        var first = await llm.CompleteAsync(endpoint, Ask("What is a harpoon?"), TestContext.Current.CancellationToken);
        var second = await llm.CompleteAsync(endpoint, Ask("What is a harpoon?"), TestContext.Current.CancellationToken);
        var other = await llm.CompleteAsync(endpoint, Ask("What is a harpoon?") with { Seed = 6 }, TestContext.Current.CancellationToken);

        Assert.False(first.Cached);
        Assert.True(second.Cached);
        Assert.Equal(first.Text, second.Text);
        Assert.False(other.Cached);
        Assert.Equal(2, server.RequestCount);
        await using var db = host.Database.CreateDbContext();
        var stored = await db.LlmCalls.OrderBy(c => c.Id).ToListAsync(TestContext.Current.CancellationToken);
        Assert.Equal(2, stored.Count);
        Assert.Equal(first.Text, stored[0].ResponseText);
        Assert.True(stored[0].PromptTokens > 0);
    }

    [Fact]
    public async Task CompleteAsync_ServerErrorRateLimitAndMalformedJson_RetriesThenSucceedsAndCachesOnlySuccess()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        await using var host = await SynthesisTestHost.CreateAsync(attempts: 4);
        var endpoint = await host.AddChatEndpointAsync(server);
        server.EnqueueFaults(OpenAiFault.ServerError, OpenAiFault.RateLimited, OpenAiFault.MalformedJson);

        var result = await host.Get<LlmClient>().CompleteAsync(endpoint, Ask("Name a whaling port."), TestContext.Current.CancellationToken);

        Assert.StartsWith("Answer ", result.Text);
        Assert.Equal(4, server.RequestCount);
        await using var db = host.Database.CreateDbContext();
        Assert.Equal(1, await db.LlmCalls.CountAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task CompleteAsync_HangPastTimeout_RetriesAndSucceeds()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        server.HangFor = TimeSpan.FromSeconds(20);
        await using var host = await SynthesisTestHost.CreateAsync();
        var endpoint = await host.AddChatEndpointAsync(server, timeoutSeconds: 1);
        server.EnqueueFaults(OpenAiFault.Hang);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = await host.Get<LlmClient>().CompleteAsync(endpoint, Ask("Is a storm coming?"), TestContext.Current.CancellationToken);

        Assert.StartsWith("Answer ", result.Text);
        Assert.Equal(2, server.RequestCount);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task CompleteAsync_FailsEveryAttempt_ThrowsAndCachesNothing()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        await using var host = await SynthesisTestHost.CreateAsync(attempts: 2);
        var endpoint = await host.AddChatEndpointAsync(server);
        server.EnqueueFaults(OpenAiFault.ServerError, OpenAiFault.ServerError);

        var error = await Assert.ThrowsAsync<ModelCallFailedException>(() =>
            host.Get<LlmClient>().CompleteAsync(endpoint, Ask("Who built the hull?"), TestContext.Current.CancellationToken));

        Assert.Contains("after 2 attempt", error.Message);
        await using var db = host.Database.CreateDbContext();
        Assert.Equal(0, await db.LlmCalls.CountAsync(TestContext.Current.CancellationToken));

        // The failure was not cached: the same call now reaches the server and succeeds.
        var result = await host.Get<LlmClient>().CompleteAsync(endpoint, Ask("Who built the hull?"), TestContext.Current.CancellationToken);
        Assert.False(result.Cached);
        Assert.Equal(3, server.RequestCount);
    }

    [Fact]
    public async Task CompleteAsync_TwoProcessesShareEndpoint_NeverMoreInFlightThanMaxConcurrency()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        server.Latency = TimeSpan.FromMilliseconds(150);
        await using var first = await SynthesisTestHost.CreateAsync();
        var endpoint = await first.AddChatEndpointAsync(server, maxConcurrency: 3);
        // A second limiter and client over the same database stand for a second worker process.
        var limiter = new EndpointConcurrencyLimiter(first.Database.DataSource);
        var secondClient = ActivatorUtilities.CreateInstance<LlmClient>(first.Services, limiter);

        var calls = Enumerable.Range(0, 10).Select(i => first.Get<LlmClient>().CompleteAsync(endpoint, Ask($"first {i}"), TestContext.Current.CancellationToken))
            .Concat(Enumerable.Range(0, 10).Select(i => secondClient.CompleteAsync(endpoint, Ask($"second {i}"), TestContext.Current.CancellationToken)));
        await Task.WhenAll(calls);

        Assert.Equal(20, server.RequestCount);
        Assert.InRange(server.PeakConcurrency, 2, 3);
    }

    [Fact]
    public async Task CompleteAsync_EndpointWithApiKey_SendsKeyAndStoresItProtected()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        server.RequiredApiKey = "sk-test-secret-123";
        await using var host = await SynthesisTestHost.CreateAsync(attempts: 1);
        var endpoint = await host.AddChatEndpointAsync(server, apiKey: "sk-test-secret-123");

        var result = await host.Get<LlmClient>().CompleteAsync(endpoint, Ask("Say hi."), TestContext.Current.CancellationToken);

        Assert.StartsWith("Answer ", result.Text);
        await using var db = host.Database.CreateDbContext();
        var row = await db.ModelEndpoints.SingleAsync(e => e.Id == endpoint.Id, TestContext.Current.CancellationToken);
        Assert.DoesNotContain("sk-test-secret-123", row.ProtectedApiKey);
        Assert.DoesNotContain(await db.LlmCalls.Select(c => c.RequestJson).ToListAsync(TestContext.Current.CancellationToken),
            json => json.Contains("sk-test-secret-123"));
    }

    [Fact]
    public async Task TestAsync_WrongKey_ReportsWhatIsWrong()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        server.RequiredApiKey = "right-key";
        await using var host = await SynthesisTestHost.CreateAsync();
        var endpoints = host.Get<ModelEndpointService>();
        var wrong = await host.AddChatEndpointAsync(server, apiKey: "wrong-key");
        var right = await host.AddChatEndpointAsync(server, apiKey: "right-key");

        var wrongResult = await endpoints.TestAsync(wrong, TestContext.Current.CancellationToken);
        var rightResult = await endpoints.TestAsync(right, TestContext.Current.CancellationToken);

        Assert.False(wrongResult.Ok);
        Assert.Contains("401", wrongResult.Message);
        Assert.DoesNotContain("wrong-key", wrongResult.Message);
        Assert.True(rightResult.Ok);
    }
}

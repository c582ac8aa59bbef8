using SelfLong.Jobs.ModelCalls;
using Microsoft.EntityFrameworkCore;
using SelfLong.Jobs.Endpoints;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Synthesis;

[NeedsDatabase]
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

    [Fact]
    public async Task CompleteAsync_WhileTheModelWorks_HoldsNoDatabaseConnection()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        server.Latency = TimeSpan.FromSeconds(1);
        await using var host = await SynthesisTestHost.CreateAsync();
        var endpoint = await host.AddChatEndpointAsync(server, maxConcurrency: 4);
        // A pool of one connection: four calls in flight at once are possible only if none keeps it while it waits.
        await using var onePool = Npgsql.NpgsqlDataSource.Create(host.Database.ConnectionString + ";Maximum Pool Size=1;Timeout=5");
        var client = ActivatorUtilities.CreateInstance<LlmClient>(host.Services, new EndpointConcurrencyLimiter(onePool));

        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => client.CompleteAsync(endpoint, Ask($"slow {i}"), TestContext.Current.CancellationToken)));

        Assert.Equal(4, server.PeakConcurrency);
    }

    [Fact]
    public async Task AcquireAsync_LeaseOfAKilledWorker_ExpiresAndFreesTheSlot()
    {
        await using var host = await SynthesisTestHost.CreateAsync();
        var endpoint = await host.AddChatEndpointAsync(await OpenAiTestServer.StartAsync(), maxConcurrency: 1);
        // The first worker takes the only slot and dies without giving it back.
        _ = await new EndpointConcurrencyLimiter(host.Database.DataSource).AcquireAsync(endpoint, TestContext.Current.CancellationToken);
        var second = new EndpointConcurrencyLimiter(host.Database.DataSource);
        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken))
        {
            wait.CancelAfter(TimeSpan.FromMilliseconds(500));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second.AcquireAsync(endpoint, wait.Token));
        }

        // Its lease runs out (the endpoint's timeout plus a margin, here brought forward).
        await using (var expire = host.Database.DataSource.CreateCommand("UPDATE endpoint_call_slots SET expires_at = now() - interval '1 second'"))
            await expire.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);

        await using var lease = await second.AcquireAsync(endpoint, TestContext.Current.CancellationToken);
    }
}

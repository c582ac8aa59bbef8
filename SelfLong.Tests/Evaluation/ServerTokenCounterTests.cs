using SelfLong.Jobs.Evaluation.Targets;
using SelfLong.Jobs.ModelCalls;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Evaluation;

/// <summary>The server's /tokenize route under the one model-call policy, against a real HTTP server that fails on purpose.</summary>
public sealed class ServerTokenCounterTests
{
    private const string Text = "The grass is green.";

    private static ServerTokenCounter Counter(OpenAiTestServer server, HttpClient http) =>
        new(http, TestModelCalls.Policy(attempts: 5), server.V1, "test-model", apiKey: null);

    [Fact]
    public async Task CountTokens_TokenizeFailsTransiently_RetriedAndCounted()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        using var http = new HttpClient();
        server.EnqueueFaults(OpenAiFault.DropConnection, OpenAiFault.ServerError, OpenAiFault.RateLimited);

        var tokens = Counter(server, http).CountTokens(Text);

        Assert.Equal(OpenAiTestServer.ServerTokens(Text), tokens);
        Assert.Equal(4, server.TokenizeCalls);
    }

    [Fact]
    public async Task CountTokens_RouteMissing_FailsAtOnceWithTheAdvice()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        using var http = new HttpClient();
        server.ServesTokenize = false;

        var error = Assert.Throws<ModelCallFailedException>(() => Counter(server, http).CountTokens(Text));

        Assert.Equal(1, server.TokenizeCalls);
        Assert.False(error.EndpointDown);
        Assert.Contains("/tokenize answered 404", error.Message);
        Assert.Contains("choose a tokenizer folder or name", error.Message);
    }

    [Fact]
    public async Task Probe_ServerError_OneAttemptOnly()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        using var http = new HttpClient();
        server.EnqueueFaults(OpenAiFault.ServerError);

        var error = Assert.Throws<HttpRequestException>(() => Counter(server, http).Probe(Text));

        Assert.Contains("answered 500", error.Message);
        Assert.Equal(1, server.TokenizeCalls);
    }

    [Fact]
    public async Task Truncate_LongestPrefixWithinTheServersCount()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        using var http = new HttpClient();

        // The test server's tokens here: "The", "grass", "is", "green", ".".
        Assert.Equal("The grass is ", Counter(server, http).Truncate(Text, 3));
        Assert.Equal(Text, Counter(server, http).Truncate(Text, 5));
        Assert.Equal("", Counter(server, http).Truncate(Text, 0));
    }
}

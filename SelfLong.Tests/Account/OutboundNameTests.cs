using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Endpoints;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.ModelCalls;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Account;

/// <summary>
/// A model URL that names a host, not an address, is checked by what the name resolves to: a name for a
/// link-local or metadata address is refused when entered and again when the app's own clients connect,
/// while a name for a loopback model server is served. The names resolve through the app's resolver
/// (<see cref="TestHostNames"/>), so a check that looked only at literal addresses fails these tests.
/// </summary>
[NeedsDatabase]
public sealed class OutboundNameTests(AppFixture app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private TestHostNames Names => app.Services.GetRequiredService<TestHostNames>();

    private static ModelEndpoint Stored(string baseUrl) => new()
    {
        // A row as one stored before the entry check would be: only the connection check stands in the way.
        Id = -Random.Shared.NextInt64(1, long.MaxValue), Name = $"named-{Guid.NewGuid():N}"[..16], Kind = ModelEndpointKind.OpenAiCompatible,
        BaseUrl = baseUrl, Model = "m", TimeoutSeconds = 5, MaxConcurrency = 1,
    };

    [Theory]
    [InlineData("169.254.169.254", false)]
    [InlineData("169.254.169.254", true)]
    [InlineData("fe80::1", false)]
    [InlineData("fd00:ec2::254", true)]
    public async Task ModelCall_NameResolvingToLinkLocal_RefusedAtConnect(string address, bool completionsRoute)
    {
        var host = Names.Add(IPAddress.Parse(address));
        var request = completionsRoute
            ? new LlmRequest([], MaxOutputTokens: 8) { Prompt = $"credentials {Guid.NewGuid():N}" }
            : new LlmRequest([LlmMessage.User($"credentials {Guid.NewGuid():N}")], MaxOutputTokens: 8);

        var failed = await Assert.ThrowsAsync<ModelCallFailedException>(() =>
            app.Services.GetRequiredService<LlmClient>().CompleteAsync(Stored($"http://{host}/v1"), request, Ct));

        Assert.Contains($"{host} is at {address}, a link-local or cloud metadata address", failed.Message);
        Assert.Contains("after 1 attempt(s)", failed.Message);
    }

    [Fact]
    public async Task ModelCall_NameResolvingToLoopback_Answered()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        var host = Names.Add(IPAddress.Loopback);
        var byName = new UriBuilder(server.V1) { Host = host }.Uri.ToString().TrimEnd('/');
        var question = $"whales {Guid.NewGuid():N}";
        // Stored for real: an answer is cached under its endpoint's row.
        var endpoint = Stored(byName);
        endpoint.Id = 0;
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(Ct))
        {
            db.ModelEndpoints.Add(endpoint);
            await db.SaveChangesAsync(Ct);
        }

        var answer = await app.Services.GetRequiredService<LlmClient>().CompleteAsync(endpoint, new LlmRequest([LlmMessage.User(question)], MaxOutputTokens: 8), Ct);

        Assert.Equal(OpenAiTestServer.DefaultChatAnswer([("user", question)]), answer.Text);
        Assert.Equal(1, server.RequestCount);
    }

    [Fact]
    public async Task EndpointApi_NameResolvingToMetadata_ErrorOnBaseUrl_NothingStored()
    {
        using var admin = await app.CreateSignedInClientAsync();
        var host = Names.Add(IPAddress.Loopback, IPAddress.Parse("169.254.169.254"));
        var name = $"named-{Guid.NewGuid():N}"[..20];

        var refused = await admin.PostAsJsonAsync("/api/endpoints", new { name, kind = "OpenAiCompatible", baseUrl = $"http://{host}:8000/v1", model = "m" }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var errors = (await refused.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        Assert.Contains($"{host} is at 169.254.169.254, a link-local", errors.GetProperty("baseUrl")[0].GetString());
        Assert.DoesNotContain(name, await admin.GetStringAsync("/api/endpoints", Ct));
    }
}

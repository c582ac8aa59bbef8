using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Data.Corpora;
using SelfLong.Data.Endpoints;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Embeddings;
using SelfLong.Jobs.Endpoints;
using SelfLong.Jobs.Evaluation.Targets;
using SelfLong.Jobs.ModelCalls;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Account;

/// <summary>
/// The link-local and metadata refusal holds when a connection is opened, not only when a URL is
/// entered: a URL that never passed the entry check (stored before it, or a name that resolves elsewhere
/// later) is refused by the model and embedder HTTP clients of the app itself, once, without retries.
/// Loopback model servers stay reachable, by address and by name.
/// </summary>
[NeedsDatabase]
public sealed class OutboundConnectionTests(AppFixture app)
{
    private const string Metadata = "http://169.254.169.254/v1";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Handler_LinkLocalRefusedAtConnect_LoopbackByAddressAndNameServed()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        using var client = new HttpClient(OutboundConnections.CreateHandler(app.Services.GetRequiredService<OutboundAddresses>()));
        var byName = new UriBuilder(server.V1) { Host = "localhost" }.Uri;

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"{Metadata}/models", Ct));
        var ipv6 = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("http://[fd00:ec2::254]/latest/meta-data", Ct));

        Assert.IsType<OutboundAddressRefusedException>(refused.InnerException);
        Assert.Contains("169.254.169.254 is a link-local or cloud metadata address", refused.Message);
        Assert.IsType<OutboundAddressRefusedException>(ipv6.InnerException);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"{server.V1}/models", Ct)).StatusCode);
        // "localhost" is resolved inside the check (to ::1 and 127.0.0.1), and the server on 127.0.0.1 answers.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"{byName.ToString().TrimEnd('/')}/models", Ct)).StatusCode);
    }

    [Fact]
    public async Task ConnectCallback_NameResolvedThenChecked_OffWhenTurnedOff()
    {
        var on = app.Services.GetRequiredService<OutboundAddresses>();
        var off = new OutboundAddresses(Microsoft.Extensions.Options.Options.Create(new OutboundOptions { DenyLinkLocalAndMetadata = false }));

        var refused = await Assert.ThrowsAsync<OutboundAddressRefusedException>(
            async () => await OutboundConnections.ConnectAsync(on, new DnsEndPoint("169.254.0.1", 80), Ct));
        // Turned off, the callback connects (and fails as a plain connection would: nothing listens there).
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        var plain = await Record.ExceptionAsync(async () => await OutboundConnections.ConnectAsync(off, new DnsEndPoint("169.254.0.1", 80), timeout.Token));

        Assert.Contains("(SelfLong:Outbound:DenyLinkLocalAndMetadata)", refused.Message);
        Assert.IsNotType<OutboundAddressRefusedException>(plain);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ModelCall_StoredMetadataUrl_RefusedOnTheFirstAttempt(bool completionsRoute)
    {
        // A row as one stored before the entry check would be: the check never saw this URL.
        var endpoint = new ModelEndpoint
        {
            Id = -Random.Shared.NextInt64(1, long.MaxValue), Name = $"imds-{Guid.NewGuid():N}"[..16], Kind = ModelEndpointKind.OpenAiCompatible,
            BaseUrl = Metadata, Model = "m", TimeoutSeconds = 5, MaxConcurrency = 1,
        };
        var request = completionsRoute
            ? new LlmRequest([], MaxOutputTokens: 8) { Prompt = $"credentials {Guid.NewGuid():N}" }
            : new LlmRequest([LlmMessage.User($"credentials {Guid.NewGuid():N}")], MaxOutputTokens: 8);

        var failed = await Assert.ThrowsAsync<ModelCallFailedException>(() => app.Services.GetRequiredService<LlmClient>().CompleteAsync(endpoint, request, Ct));

        Assert.Contains("after 1 attempt(s)", failed.Message);
        Assert.Contains("link-local or cloud metadata address", failed.Message);
        Assert.False(failed.EndpointDown);
    }

    [Fact]
    public async Task Embedder_StoredMetadataUrl_RefusedAtConnect()
    {
        var corpus = new Corpus
        {
            Name = "imds", EmbedderKind = EmbedderKind.OpenAi, EmbedderBaseUrl = Metadata, EmbedderModel = "e", EmbeddingDimension = 16,
        };
        using var embedder = app.Services.GetRequiredService<CorpusEmbedders>().Create(corpus);

        var failed = await Assert.ThrowsAsync<ModelCallFailedException>(() => embedder.GenerateAsync(["a whale"], cancellationToken: Ct));

        Assert.Contains("after 1 attempt(s)", failed.Message);
        Assert.Contains("link-local or cloud metadata address", failed.Message);
    }

    [Fact]
    public void ServerTokenizer_MetadataUrl_RefusedAtConnect()
    {
        var problem = app.Services.GetRequiredService<EvaluationTargetFactory>().TokenizerProblem("server", Metadata, "m", null);
        Assert.Contains("link-local or cloud metadata address", problem);
    }

    [Fact]
    public async Task CorpusApi_MetadataEmbedderUrl_ErrorOnTheField_NothingStored()
    {
        using var editor = await app.CreateSignedInClientAsync(AppFixture.EditorEmail);
        var name = $"imds-{Guid.NewGuid():N}"[..20];

        // A dimension is given, so no probe request is made: the address check alone refuses it.
        var refused = await editor.PostAsJsonAsync("/api/corpora", new
        {
            name, embedder = "OpenAi", embedderBaseUrl = "http://[fe80::1]:8000/v1", embedderModel = "e", embeddingDimension = 64,
        }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var errors = (await refused.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        var field = Assert.Single(errors.EnumerateObject());
        Assert.Equal("embedderbaseurl", field.Name.ToLowerInvariant());
        Assert.Contains("link-local or cloud metadata", field.Value[0].GetString());
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(Ct);
        Assert.False(await db.Corpora.AnyAsync(c => c.Name == name, Ct));
    }

    [Fact]
    public async Task Reembed_MetadataEmbedderUrl_ErrorOnTheField_CorpusUnchanged()
    {
        var (corpus, errors) = await app.Services.GetRequiredService<CorpusService>().CreateAsync(new CorpusSettings { Name = $"imds-{Guid.NewGuid():N}"[..20] }, Ct);
        Assert.Empty(errors);

        var refused = await app.Services.GetRequiredService<CorpusReembedder>().EnqueueAsync(corpus!.Id,
            new EmbedderChange(EmbedderKind.OpenAi, "http://168.63.129.16/v1", "e", null, 64), Ct);

        Assert.Contains("link-local or cloud metadata", Assert.Single(refused[nameof(EmbedderChange.EmbedderBaseUrl)]));
        Assert.Equal("Lexical", (await app.Services.GetRequiredService<CorpusService>().GetAsync(corpus.Id, Ct))!.Embedder);
    }
}

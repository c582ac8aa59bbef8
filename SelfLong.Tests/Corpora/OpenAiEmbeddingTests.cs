using Microsoft.EntityFrameworkCore;
using SelfLong.Data.Corpora;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Retrieval;
using SelfLong.Tests.Infrastructure;
using static SelfLong.Tests.Corpora.TestFiles;

namespace SelfLong.Tests.Corpora;

public sealed class OpenAiEmbeddingTests
{
    [Fact]
    public async Task Ingest_WithOpenAiEndpoint_BatchesRetriesFaults_AndKeepsTheKeyProtected()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        server.EmbeddingDimension = 24;
        server.RequiredApiKey = "sk-test-secret-123";
        await using var harness = await CorporaHarness.CreateAsync(o => o.EmbeddingBatchSize = 4);
        var (corpus, errors) = await harness.Corpora.CreateAsync(new CorpusSettings
        {
            Name = "remote", Embedder = EmbedderKind.OpenAi, EmbedderBaseUrl = server.V1, EmbedderModel = "embed-small",
            EmbedderApiKey = "sk-test-secret-123", ChunkTokens = 32, ChunkOverlapTokens = 0,
        }, TestContext.Current.CancellationToken);
        Assert.Empty(errors);
        Assert.Equal(24, corpus!.EmbeddingDimension);
        Assert.True(corpus.HasApiKey);
        var probes = server.RequestCount;
        server.EnqueueFaults(OpenAiFault.ServerError, OpenAiFault.RateLimited, OpenAiFault.MalformedJson);

        var text = string.Join(" ", Enumerable.Range(1, 40).Select(i => $"Sentence {i} describes harbour number {i} in detail."));
        var run = await harness.IngestAsync(corpus.Id, ("harbours.txt", Utf8(text)));

        Assert.Equal(IngestionStatus.Succeeded, run.Status);
        var batches = (int)Math.Ceiling(run.Chunks / 4.0);
        Assert.True(run.Chunks > 4);
        Assert.Equal(probes + batches + 3, server.RequestCount);
        Assert.All(server.Requests.Skip(probes), r => Assert.True(r["input"]!.AsArray().Count <= 4));
        await using var db = harness.Database.CreateDbContext();
        var stored = await db.Corpora.AsNoTracking().SingleAsync(c => c.Id == corpus.Id, TestContext.Current.CancellationToken);
        Assert.DoesNotContain("sk-test-secret-123", stored.EmbedderApiKeyProtected);
        var hits = await harness.Retriever.SearchAsync(corpus.Id, "harbour", 3, RetrievalMode.Vector, TestContext.Current.CancellationToken);
        Assert.Equal(3, hits.Count);
    }

    [Fact]
    public async Task Ingest_WrongApiKey_FailsTheRunWithAClearMessage_AndStoresNothing()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        await using var harness = await CorporaHarness.CreateAsync();
        var (corpus, _) = await harness.Corpora.CreateAsync(new CorpusSettings
        {
            Name = "refused", Embedder = EmbedderKind.OpenAi, EmbedderBaseUrl = server.V1, EmbedderModel = "m",
            EmbeddingDimension = 16, EmbedderApiKey = "wrong",
        }, TestContext.Current.CancellationToken);
        server.RequiredApiKey = "right";

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => harness.IngestAsync(corpus!.Id, ("a.txt", Utf8("Some text."))));

        Assert.Contains("check the API key", error.Message);
        Assert.DoesNotContain("wrong", error.Message);
        Assert.Empty(await harness.DocumentsAsync(corpus!.Id));
    }
}

using Microsoft.EntityFrameworkCore;
using SelfLong.Data.Corpora;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Retrieval;
using SelfLong.Tests.Infrastructure;
using static SelfLong.Tests.Corpora.TestFiles;
using SelfLong.Data.Runs;

namespace SelfLong.Tests.Corpora;

[NeedsDatabase]
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

        Assert.Equal(RunStatus.Succeeded, run.Status);
        var batches = (int)Math.Ceiling(run.Chunks / 4.0);
        Assert.True(run.Chunks > 4);
        await using var db = harness.Database.CreateDbContext();
        var stored = await db.Corpora.AsNoTracking().SingleAsync(c => c.Id == corpus.Id, TestContext.Current.CancellationToken);
        // After the chunks, the ef_search tuning's queries go to the same endpoint, in batches as well.
        var tuning = (int)Math.Ceiling(stored.HnswTuneQueries!.Value / 4.0);
        Assert.Equal(probes + batches + 3 + tuning, server.RequestCount);
        Assert.All(server.Requests.Skip(probes), r => Assert.True(r["input"]!.AsArray().Count <= 4));
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

[NeedsDatabase]
public sealed class ReembeddingTests
{
    [Fact]
    public async Task Reembed_ToAnotherDimension_ReplacesVectorsAndRebuildsTheIndex()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = await CorporaHarness.CreateAsync();
        var corpus = await harness.CreateCorpusAsync();
        await harness.IngestAsync(corpus, ("a.jsonl", Utf8("{\"text\": \"Lighthouses guide ships.\"}\n{\"text\": \"Tariffs protect steel.\"}")));
        var reembedder = new SelfLong.Jobs.Corpora.Embeddings.CorpusReembedder(harness.Database, harness.Database.DataSource, harness.Embedders, null!,
            Microsoft.Extensions.Options.Options.Create(harness.Options), Microsoft.Extensions.Logging.Abstractions.NullLogger<SelfLong.Jobs.Corpora.Embeddings.CorpusReembedder>.Instance);

        await reembedder.RunAsync(corpus, EmbedderKind.Lexical, null, null, null, 64, ct);

        Assert.Equal(64, (await harness.Corpora.GetAsync(corpus, ct))!.EmbeddingDimension);
        await using var db = harness.Database.CreateDbContext();
        Assert.All(await db.Chunks.Where(c => c.CorpusId == corpus).ToListAsync(ct), c =>
        {
            Assert.Equal(64, c.Dimension);
            Assert.Equal(64, c.Embedding!.ToArray().Length);
        });
        var hits = await harness.Retriever.SearchAsync(corpus, "steel tariffs", 1, RetrievalMode.Vector, ct);
        Assert.Contains("Tariffs", hits[0].Text);
        await using var connection = await harness.Database.DataSource.OpenConnectionAsync(ct);
        await using var find = new Npgsql.NpgsqlCommand($"SELECT indexdef FROM pg_indexes WHERE indexname = '{SelfLong.Jobs.Corpora.Storage.ChunkVectorIndex.NameFor(corpus)}'", connection);
        Assert.Contains("vector(64)", (string)(await find.ExecuteScalarAsync(ct))!);
    }
}

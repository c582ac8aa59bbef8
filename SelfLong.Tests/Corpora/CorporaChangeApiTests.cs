using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SelfLong.Data;
using SelfLong.Jobs.Corpora;
using SelfLong.Jobs.Corpora.Storage;
using SelfLong.Tests.Infrastructure;
using SelfLong.Web.Features.Corpora;

namespace SelfLong.Tests.Corpora;

/// <summary>Changing a stored corpus through the REST API: re-embedding with another dimension, and deleting it.</summary>
[NeedsDatabase]
public sealed class CorporaChangeApiTests(AppFixture app)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Reembed_Lexical64_ReplacesEveryVectorAndSearchStillFinds_ViewerAndBadDimensionRefused()
    {
        using var admin = await app.CreateSignedInClientAsync();
        var corpus = await IngestedCorpusAsync(admin, "reembed");
        Assert.NotEqual(64, corpus.EmbeddingDimension);
        using var viewer = await app.CreateSignedInClientAsync(AppFixture.ViewerEmail);

        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync($"/api/corpora/{corpus.Id}/reembed", new { embedder = "Lexical", embeddingDimension = 64 }, Ct)).StatusCode);
        var bad = await admin.PostAsJsonAsync($"/api/corpora/{corpus.Id}/reembed", new { embedder = "Lexical", embeddingDimension = 0 }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("embeddingdimension", (await bad.Content.ReadAsStringAsync(Ct)).ToLowerInvariant());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsJsonAsync("/api/corpora/987654321/reembed", new { embedder = "Lexical", embeddingDimension = 64 }, Ct)).StatusCode);
        Assert.Equal(corpus.EmbeddingDimension, (await DetailsAsync(admin, corpus.Id)).EmbeddingDimension);

        var accepted = await admin.PostAsJsonAsync($"/api/corpora/{corpus.Id}/reembed", new { embedder = "Lexical", embeddingDimension = 64 }, Ct);

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        await Poll.UntilAsync(async () => await DetailsAsync(admin, corpus.Id), c => c.EmbeddingDimension == 64, $"corpus {corpus.Id} re-embedded at 64 dimensions",
            describe: c => $"{c.EmbeddingDimension} dimensions");
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(Ct))
        {
            var chunks = await db.Chunks.Where(c => c.CorpusId == corpus.Id).ToListAsync(Ct);
            Assert.NotEmpty(chunks);
            Assert.All(chunks, c => Assert.Equal((64, 64), (c.Dimension, c.Embedding!.ToArray().Length)));
        }
        var hits = (await admin.GetFromJsonAsync<List<SearchHitDto>>($"/api/corpora/{corpus.Id}/search?q=lighthouse%20keeper&k=3", Json, Ct))!;
        Assert.Equal("lights.txt", hits[0].DocumentTitle);
    }

    [Fact]
    public async Task Delete_SignedInAdmin_RemovesCorpusDocumentsChunksAndIndex_ViewerRefused()
    {
        using var admin = await app.CreateSignedInClientAsync();
        var corpus = await IngestedCorpusAsync(admin, "delete");
        var document = (await admin.GetFromJsonAsync<List<SearchHitDto>>($"/api/corpora/{corpus.Id}/search?q=lighthouse&k=1", Json, Ct))![0].DocumentId;
        using var viewer = await app.CreateSignedInClientAsync(AppFixture.ViewerEmail);

        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.DeleteAsync($"/api/corpora/{corpus.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/corpora/{corpus.Id}", Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/corpora/{corpus.Id}", Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/corpora/{corpus.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/documents/{document}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"/api/corpora/{corpus.Id}", Ct)).StatusCode);
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(Ct);
        Assert.Equal(0, await db.Documents.CountAsync(d => d.CorpusId == corpus.Id, Ct));
        Assert.Equal(0, await db.Chunks.CountAsync(c => c.CorpusId == corpus.Id, Ct));
        foreach (var index in new[] { ChunkVectorIndex.NameFor(corpus.Id), ChunkTextIndex.NameFor(corpus.Id) })
            Assert.Equal(0, await db.Database.SqlQuery<int>($"SELECT count(*)::int AS \"Value\" FROM pg_indexes WHERE indexname = {index}").SingleAsync(Ct));
    }

    private async Task<CorpusSummary> IngestedCorpusAsync(HttpClient client, string prefix)
    {
        var created = await client.PostAsJsonAsync("/api/corpora", new { name = $"{prefix}-{Guid.NewGuid():N}"[..24], chunkTokens = 64, chunkOverlapTokens = 8 }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var corpus = (await created.Content.ReadFromJsonAsync<CorpusSummary>(Json, Ct))!;
        using var form = new MultipartFormDataContent
        {
            { File("The lighthouse keeper trimmed the lamp wick every night before the storm."), "files", "lights.txt" },
            { File("Whaling ships sailed from Nantucket for years at a time."), "files", "ships.txt" },
        };
        var upload = await client.PostAsync($"/api/corpora/{corpus.Id}/uploads", form, Ct);
        Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
        var run = (await upload.Content.ReadFromJsonAsync<IngestionRunDto>(Json, Ct))!;
        var finished = await Poll.UntilAsync(async () => (await client.GetFromJsonAsync<IngestionRunDto>($"/api/ingestions/{run.Id}", Json, Ct))!,
            r => r.Finished, $"ingestion run {run.Id} to finish", describe: r => r.Status);
        Assert.Equal("Succeeded", finished.Status);
        return await DetailsAsync(client, corpus.Id);
    }

    private static async Task<CorpusSummary> DetailsAsync(HttpClient client, long id) =>
        (await client.GetFromJsonAsync<CorpusDetailsDto>($"/api/corpora/{id}", Json, Ct))!.Corpus;

    private static ByteArrayContent File(string text)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        return content;
    }
}

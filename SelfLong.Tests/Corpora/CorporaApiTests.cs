using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using SelfLong.Jobs.Corpora;
using SelfLong.Tests.Infrastructure;
using SelfLong.Web.Features.Corpora;

namespace SelfLong.Tests.Corpora;

[NeedsDatabase]
public sealed class CorporaApiTests(AppFixture app)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Upload_SignedIn_IngestsOnTheIngestQueue_AndSearchFindsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = await app.CreateSignedInClientAsync();
        var created = await client.PostAsJsonAsync("/api/corpora", new { name = $"api-{Guid.NewGuid():N}", chunkTokens = 64, chunkOverlapTokens = 8 }, ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var corpus = (await created.Content.ReadFromJsonAsync<CorpusSummary>(Json, ct))!;

        using var form = new MultipartFormDataContent
        {
            { File("The albatross followed the ship for days across the southern ocean."), "files", "birds.txt" },
            { File("{\"text\": \"Penguins cannot fly but swim fast.\", \"title\": \"Penguins\"}\nnot json\n"), "files", "more.jsonl" },
        };
        var upload = await client.PostAsync($"/api/corpora/{corpus.Id}/uploads", form, ct);
        Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
        var run = (await upload.Content.ReadFromJsonAsync<IngestionRunDto>(Json, ct))!;
        Assert.Equal(2, run.Files);

        var id = run.Id;
        run = await Poll.UntilAsync(async () => (await client.GetFromJsonAsync<IngestionRunDto>($"/api/ingestions/{id}", Json, ct))!,
            r => r.Finished, $"ingestion run {id} to finish", describe: r => r.Status);
        Assert.Equal("Succeeded", run.Status);
        Assert.Equal(2, run.Documents);
        Assert.Equal(1, run.Errors);
        var jsonl = run.FileList.Single(f => f.FileName == "more.jsonl");
        Assert.Equal("PartlyFailed", jsonl.Status);
        Assert.Contains(jsonl.Issues, i => i.Location.EndsWith("line 2"));

        var hits = (await client.GetFromJsonAsync<List<SearchHitDto>>($"/api/corpora/{corpus.Id}/search?q=albatross%20ocean&k=5", Json, ct))!;
        Assert.Equal("birds.txt", hits[0].DocumentTitle);
        Assert.Contains(hits[0].Segments, s => s.Hit && s.Text == "albatross");
        var details = (await client.GetFromJsonAsync<CorpusDetailsDto>($"/api/corpora/{corpus.Id}", Json, ct))!;
        Assert.Equal(2, details.Corpus.Documents);
        Assert.Equal(2, details.LengthHistogram.Sum(b => b.Documents));
        // Two chunks: each the other's only neighbour, found at the first ef_search tried.
        Assert.Equal((40, 1.0, 2), (details.Corpus.HnswEfSearch, details.Corpus.HnswRecallAt10, details.Corpus.HnswTuneQueries));
        // In one of its two chunks, so in more than 2 % of them.
        Assert.Contains("albatross", details.Corpus.FullTextCommonWords!);
        Assert.Equal(0.02, details.Corpus.FullTextCommonShare);
        var document = (await client.GetFromJsonAsync<DocumentDto>($"/api/documents/{hits[0].DocumentId}", Json, ct))!;
        Assert.StartsWith("The albatross", document.Text);
    }

    [Fact]
    public async Task Upload_Anonymous_Returns401_AndStoresNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        using var signedIn = await app.CreateSignedInClientAsync();
        var corpus = (await (await signedIn.PostAsJsonAsync("/api/corpora", new { name = $"anon-{Guid.NewGuid():N}" }, ct))
            .Content.ReadFromJsonAsync<CorpusSummary>(Json, ct))!;
        using var anonymous = app.CreateClient();
        using var form = new MultipartFormDataContent { { File("sneaky"), "files", "a.txt" } };

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync($"/api/corpora/{corpus.Id}/uploads", form, ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/corpora", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/corpora/{corpus.Id}/search?q=x", ct)).StatusCode);
        var runs = await signedIn.GetFromJsonAsync<List<IngestionRunDto>>($"/api/corpora/{corpus.Id}/ingestions", Json, ct);
        Assert.Empty(runs!);
    }

    [Fact]
    public async Task CreateCorpus_BadSettingsOrTakenName_ReturnsValidationProblem()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = await app.CreateSignedInClientAsync();
        var name = $"dup-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/api/corpora", new { name }, ct)).StatusCode);

        var taken = await client.PostAsJsonAsync("/api/corpora", new { name }, ct);
        var bad = await client.PostAsJsonAsync("/api/corpora", new { name = "x", chunkTokens = 8, embedder = "OpenAi" }, ct);

        Assert.Equal(HttpStatusCode.BadRequest, taken.StatusCode);
        Assert.Contains("exists", await taken.Content.ReadAsStringAsync(ct));
        var problem = await bad.Content.ReadAsStringAsync(ct);
        Assert.Contains("ChunkTokens", problem);
        Assert.Contains("EmbedderBaseUrl", problem);
        Assert.Contains("EmbedderModel", problem);
        var openApi = await client.GetStringAsync("/api/openapi/v1.json", ct);
        Assert.Contains("/api/corpora/{id}/uploads", openApi);
    }

    private static ByteArrayContent File(string text)
    {
        var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(text));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }
}

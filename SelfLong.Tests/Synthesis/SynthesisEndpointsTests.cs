using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Synthesis;

[NeedsDatabase]
public sealed class SynthesisEndpointsTests(AppFixture app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Endpoints_CreateWithKey_KeyNeverComesBack()
    {
        using var client = await app.CreateSignedInClientAsync();
        var name = $"api-{Guid.NewGuid():N}"[..24];

        var created = await client.PostAsJsonAsync("/api/endpoints", new
        {
            name, kind = 0, baseUrl = "http://127.0.0.1:9/v1", model = "m", apiKey = "sk-never-shown-42",
            contextWindow = 8192, maxConcurrency = 2, timeoutSeconds = 5,
        }, Ct);
        var list = await client.GetStringAsync("/api/endpoints", Ct);
        var invalid = await client.PostAsJsonAsync("/api/endpoints", new { name = "", kind = 0, baseUrl = "not a url", model = "" }, Ct);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.DoesNotContain("sk-never-shown-42", await created.Content.ReadAsStringAsync(Ct));
        Assert.DoesNotContain("sk-never-shown-42", list);
        Assert.Contains(name, list);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        var problem = await invalid.Content.ReadAsStringAsync(Ct);
        Assert.Contains("baseUrl", problem);
        Assert.Contains("name", problem);
    }

    [Fact]
    public async Task Runs_ExtractiveRunThroughHangfire_CompletesAndExportsMatch()
    {
        using var client = await app.CreateSignedInClientAsync();
        var (corpusId, _) = await app.HandMadeAsync();
        var response = await client.PostAsJsonAsync("/api/synthesis/runs", new
        {
            name = $"api run {Guid.NewGuid():N}", corpusId, sampleCount = 5, endpointName = "extractive", seed = 3,
            settings = new
            {
                minTargetTokens = 600, maxTargetTokens = 1200, chunkTokens = 256, summaryTokens = 64, responseTokens = 64,
                longOutputFraction = 0.3, longOutputMinTokens = 100, longOutputMaxTokens = 5000
            },
        }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();

        var run = await Poll.UntilAsync(() => client.GetFromJsonAsync<JsonElement>($"/api/synthesis/runs/{id}", Ct),
            r => r.GetProperty("status").GetString() is "Succeeded" or "Failed" or "Cancelled", $"synthesis run {id} to finish",
            describe: r => r.GetProperty("status").GetString()!);

        Assert.Equal("Succeeded", run.GetProperty("status").GetString());
        Assert.Equal(5, run.GetProperty("completed").GetInt32());
        Assert.True(run.GetProperty("isExtractive").GetBoolean());
        Assert.Equal("cl100k_base", run.GetProperty("tokenizer").GetString());

        var page = await client.GetFromJsonAsync<JsonElement>($"/api/synthesis/runs/{id}/samples?take=10", Ct);
        var first = page.GetProperty("items")[0].GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync($"/api/synthesis/samples/{first}/reject", null, Ct)).StatusCode);

        var jsonl = await client.GetStringAsync($"/api/synthesis/runs/{id}/export.jsonl", Ct);
        var lines = jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        var sample = await client.GetFromJsonAsync<JsonElement>($"/api/synthesis/samples/{page.GetProperty("items")[1].GetProperty("id").GetInt64()}", Ct);
        using var line = JsonDocument.Parse(lines[0]);
        Assert.Equal(sample.GetProperty("input").GetString(), line.RootElement.GetProperty("messages")[1].GetProperty("content").GetString());

        var parquet = await client.GetAsync($"/api/synthesis/runs/{id}/export.parquet", Ct);
        Assert.Equal(HttpStatusCode.OK, parquet.StatusCode);
        Assert.Equal("PAR1"u8.ToArray(), (await parquet.Content.ReadAsByteArrayAsync(Ct))[..4]);
        var card = await client.GetStringAsync($"/api/synthesis/runs/{id}/card.md", Ct);
        Assert.Contains("Exported samples: 4 of 5", card);
        Assert.Contains("without any language model", card);
    }

    [Fact]
    public async Task Runs_BadRequestOrAnonymous_AreRefused()
    {
        using var client = await app.CreateSignedInClientAsync();
        var invalid = await client.PostAsJsonAsync("/api/synthesis/runs", new { name = "x", corpusId = 1, sampleCount = 0 }, Ct);
        var noTokenizer = await client.PostAsJsonAsync("/api/synthesis/runs",
            new { name = "x", corpusId = 1, sampleCount = 2, endpointName = "extractive", settings = new { targetTokenizer = "/no/such/model" } }, Ct);
        using var anonymous = app.CreateClient();
        var denied = await anonymous.GetAsync("/api/synthesis/runs", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("sampleCount", await invalid.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.BadRequest, noTokenizer.StatusCode);
        Assert.Contains("targetTokenizer", await noTokenizer.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using SelfLong.Jobs.Corpora;
using SelfLong.Tests.Infrastructure;
using SelfLong.Web.Features.Corpora;
using SelfLong.Web.Features.Progress;

namespace SelfLong.Tests.Progress;

[NeedsBrowser]
public sealed class OverviewCountersBrowserTests(AppFixture app, BrowserFixture browser)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Overview_AfterAnIngestion_CountersRiseWithoutAReload()
    {
        var ct = TestContext.Current.CancellationToken;
        var page = await browser.OpenSignedInAsync(app, "/");
        var documents = page.Locator("[data-testid=count-Documents]");
        await documents.WaitForAsync();
        var watch = Stopwatch.StartNew();
        var before = new { Corpora = await CountAsync(page, "Corpora"), Documents = await CountAsync(page, "Documents"), Chunks = await CountAsync(page, "Chunks") };
        // Gone if the page reloads or navigates: the counters must change in the page as it is.
        await page.EvaluateAsync("() => window.selflongOverviewMarker = 'still here'");

        using var client = await app.CreateSignedInClientAsync();
        var created = await client.PostAsJsonAsync("/api/corpora", new { name = $"overview-{Guid.NewGuid():N}" }, ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var corpus = (await created.Content.ReadFromJsonAsync<CorpusSummary>(Json, ct))!;
        using var form = new MultipartFormDataContent
        {
            { Text("{\"text\": \"The sperm whale dives a mile deep to hunt squid.\"}\n{\"text\": \"Right whales skim plankton near the surface.\"}\n"), "files", "whales.jsonl" },
        };
        var upload = await client.PostAsync($"/api/corpora/{corpus.Id}/uploads", form, ct);
        Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
        var run = (await upload.Content.ReadFromJsonAsync<IngestionRunDto>(Json, ct))!;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!run.Finished && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, ct);
            run = (await client.GetFromJsonAsync<IngestionRunDto>($"/api/ingestions/{run.Id}", Json, ct))!;
        }
        Assert.Equal("Succeeded", run.Status);
        Assert.Equal(2, run.Documents);

        // At least this test's rows (other tests may add theirs at the same time).
        await WaitForAtLeastAsync(page, "Documents", before.Documents + 2);
        await WaitForAtLeastAsync(page, "Chunks", before.Chunks + 2);
        await WaitForAtLeastAsync(page, "Corpora", before.Corpora + 1);
        // Before the page's slow safety re-read could have brought it: the ingestion's notifications did.
        Assert.True(watch.Elapsed < ProgressSubscriptions.SafetyRefresh, $"counters changed after {watch.Elapsed}, not before the safety refresh");
        Assert.Equal("still here", await page.EvaluateAsync<string>("() => window.selflongOverviewMarker"));
        await page.Context.CloseAsync();
    }

    private static async Task<long> CountAsync(IPage page, string label) =>
        long.Parse(new string([.. (await page.Locator($"[data-testid='count-{label}']").InnerTextAsync()).Where(char.IsAsciiDigit)]));

    private static async Task WaitForAtLeastAsync(IPage page, string label, long atLeast) =>
        await page.WaitForFunctionAsync(
            "([label, atLeast]) => Number(document.querySelector(`[data-testid='count-${label}']`)?.textContent.replace(/[^0-9]/g, '')) >= atLeast",
            new object[] { label, atLeast }, new() { Timeout = 15_000 });

    private static ByteArrayContent Text(string text)
    {
        var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(text));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }
}

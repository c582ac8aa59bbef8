using System.Net.Http.Json;
using Microsoft.Playwright;
using SelfLong.Jobs.Corpora;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Corpora;

[NeedsBrowser]
public sealed class CorporaBrowserTests(AppFixture app, BrowserFixture browser)
{
    [Fact]
    public async Task DropTwoFiles_ProgressRunsToTheEnd_ThenSearchShowsAHighlightedHit()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = await app.CreateSignedInClientAsync();
        var name = $"browser-{Guid.NewGuid():N}";
        var corpus = (await (await client.PostAsJsonAsync("/api/corpora", new { name }, ct)).Content.ReadFromJsonAsync<CorpusSummary>(ct))!;
        var page = await browser.OpenSignedInAsync(app, $"/corpora/{corpus.Id}");
        await page.Locator("h4", new() { HasTextString = name }).WaitForAsync();
        await page.Locator("[data-testid=upload-drop][data-ready=true]").WaitForAsync();
        // A real drop event carrying two files, as the browser fires it when files are dragged in.
        await page.EvaluateAsync("""
            () => {
                const transfer = new DataTransfer();
                transfer.items.add(new File(['The narwhal is a whale with a long spiral tusk. It lives in Arctic waters.'], 'narwhal.txt', { type: 'text/plain' }));
                transfer.items.add(new File(['{"text": "Walruses haul out on sea ice to rest.", "title": "Walrus <b>notes</b>"}\n'], 'walrus.jsonl'));
                const zone = document.querySelector('[data-testid=upload-drop]');
                zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
                zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
            }
            """);

        var statuses = page.Locator("[data-testid=upload-file-status]");
        await Assertions.Expect(statuses).ToHaveCountAsync(2);
        await Assertions.Expect(statuses.Nth(0)).ToContainTextAsync("Succeeded: 1 documents", new() { Timeout = 60_000 });
        await Assertions.Expect(statuses.Nth(1)).ToContainTextAsync("Succeeded: 1 documents", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("[data-testid=run-status]").First).ToHaveTextAsync("Succeeded");
        await Assertions.Expect(page.Locator("[data-testid='stat-Documents']")).ToHaveTextAsync("2");
        await Assertions.Expect(page.Locator("[data-testid=vector-index]")).ToContainTextAsync("ef_search 40, tuned: recall@10 1.00 on 2 queries from its chunks");
        await Assertions.Expect(page.Locator("[data-testid=vector-index]")).ToContainTextAsync("HNSW (vectors cast to halfvec, cosine, re-ranked by exact cosine)");
        // Two chunks: every stem is in one of them at least, more than 2 % of the corpus.
        await Assertions.Expect(page.Locator("[data-testid=full-text-index]")).ToContainTextAsync("in more than 2% of its chunks bring no candidates");
        await Assertions.Expect(page.Locator("[data-testid=full-text-index]")).ToContainTextAsync("narwhal");

        await page.Locator("input[data-testid=search-query], [data-testid=search-query] input").First.FillAsync("spiral tusk");
        await page.ClickAsync("[data-testid=search-button]");
        var hit = page.Locator("[data-testid=search-hit]").First;
        await Assertions.Expect(hit).ToContainTextAsync("narwhal.txt");
        await Assertions.Expect(hit.Locator("mark").First).ToHaveTextAsync("spiral");

        // The document viewer shows the whole text.
        await hit.Locator("a", new() { HasTextString = "narwhal.txt" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=document-text]")).ToHaveTextAsync(
            "The narwhal is a whale with a long spiral tusk. It lives in Arctic waters.");
        await page.GoBackAsync();
        await BrowserFixture.WaitForInteractiveAsync(page);

        // A title with markup is shown as text.
        await page.Locator("input[data-testid=search-query], [data-testid=search-query] input").First.FillAsync("walruses");
        await page.ClickAsync("[data-testid=search-button]");
        await Assertions.Expect(page.Locator("[data-testid=search-hit]").First).ToContainTextAsync("Walrus <b>notes</b>");
        await page.Context.CloseAsync();
    }
}

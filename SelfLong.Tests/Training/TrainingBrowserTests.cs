using Microsoft.Playwright;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Training;

public sealed class TrainingBrowserTests(AppFixture app, BrowserFixture browser) : IDisposable
{
    private readonly string dataDir = Directory.CreateTempSubdirectory("selflong-ui-data-").FullName;

    public void Dispose() => Directory.Delete(dataDir, recursive: true);

    [Fact]
    public async Task NewRunDialog_TinyFromScratch_OpensRunPageThatShowsLossAndCheckpoint()
    {
        var data = Path.Combine(dataDir, "d.jsonl");
        File.WriteAllLines(data, TrainingTestData.Patterns().Select(s => System.Text.Json.JsonSerializer.Serialize(new { text = s.Response })));
        var name = $"ui-{Guid.NewGuid():N}"[..12];

        var page = await browser.OpenSignedInAsync(app, "/training");
        await page.ClickAsync("[data-testid=new-training-run]");
        await page.Locator("[data-testid=run-name] input, input[data-testid=run-name]").First.FillAsync(name);
        await page.Locator("[data-testid=run-data] textarea, textarea[data-testid=run-data]").First.FillAsync(data);
        var stageInputs = page.Locator("[data-testid=stage-row] input");
        await stageInputs.Nth(0).FillAsync("16");
        await stageInputs.Nth(2).FillAsync("3");
        await page.ClickAsync("[data-testid=start-run]");

        await page.WaitForURLAsync("**/training/*");
        await page.Locator("h4", new() { HasTextString = name }).WaitForAsync();
        await page.Locator("[data-testid=run-status]", new() { HasTextString = "Succeeded" }).WaitForAsync(new() { Timeout = 120_000 });
        await page.Locator("[data-testid=checkpoints] td", new() { HasTextString = "stage end" }).WaitForAsync();
        // Every pattern is longer than the 16-token stage, so plain text was cut at its end.
        Assert.Matches(@"[1-9][\d,]* cut \([1-9][\d,]* tokens", await page.Locator("[data-testid=run-truncation]").InnerTextAsync());
        Assert.True(await page.Locator("[data-testid=loss-chart] svg, svg[data-testid=loss-chart]").CountAsync() > 0
                    || await page.Locator(".mud-chart").CountAsync() > 0);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task NewRunDialog_MissingDataFile_ShowsErrorInDialog()
    {
        var page = await browser.OpenSignedInAsync(app, "/training");
        await page.ClickAsync("[data-testid=new-training-run]");
        await page.Locator("[data-testid=run-name] input, input[data-testid=run-name]").First.FillAsync("bad data");
        await page.Locator("[data-testid=run-data] textarea, textarea[data-testid=run-data]").First.FillAsync(Path.Combine(dataDir, "nope.jsonl"));
        await page.ClickAsync("[data-testid=start-run]");
        await page.Locator("[data-testid=run-error]").WaitForAsync();
        Assert.Contains("does not exist", await page.Locator("[data-testid=run-error]").InnerTextAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task NewRunDialog_UnknownCorpus_ShowsErrorInDialog()
    {
        var page = await browser.OpenSignedInAsync(app, "/training");
        await page.ClickAsync("[data-testid=new-training-run]");
        await page.Locator("[data-testid=run-name] input, input[data-testid=run-name]").First.FillAsync("unknown corpus");
        await page.Locator("[data-testid=run-corpus-text] textarea, textarea[data-testid=run-corpus-text]").First.FillAsync("987654321:2");
        await page.ClickAsync("[data-testid=start-run]");
        await page.Locator("[data-testid=run-error]").WaitForAsync();
        Assert.Contains("Corpus #987654321 does not exist.", await page.Locator("[data-testid=run-error]").InnerTextAsync());

        // Needle drills are checked where they are asked for: the dialog's default first stage (128
        // bytes) is too short to hold one.
        await page.Locator("[data-testid=run-corpus-text] textarea, textarea[data-testid=run-corpus-text]").First.FillAsync("");
        await page.Locator("[data-testid=run-needle-drills] textarea, textarea[data-testid=run-needle-drills]").First.FillAsync("987654322:6");
        await page.ClickAsync("[data-testid=start-run]");
        await Assertions.Expect(page.Locator("[data-testid=run-error]")).ToContainTextAsync("Stage length 128 is too short for a needle drill");
        await page.Context.CloseAsync();
    }
}

using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.Perplexity;
using SelfLong.Tests.Infrastructure;
using SelfLong.Data.Runs;

namespace SelfLong.Tests.Evaluation;

[NeedsBrowser]
public sealed class PerplexityBrowserTests(AppFixture app, BrowserFixture browser) : IDisposable
{
    private readonly string first = Directory.CreateTempSubdirectory("selflong-ppl-a-").FullName;
    private readonly string second = Directory.CreateTempSubdirectory("selflong-ppl-b-").FullName;

    [Fact]
    public async Task NewEvaluationForm_PerplexityOfEndpointRefused_ThenCheckpointRunChartedWithTrainingLength()
    {
        PerplexityEvaluationTests.SaveTinyCheckpoint(first, maxPositions: 32, seed: 41);
        var name = $"ppl-form-{Guid.NewGuid():N}";
        var page = await browser.OpenSignedInAsync(app, "/evaluation");
        await page.ClickAsync("[data-testid=new-evaluation]");
        var form = page.Locator("[data-testid=new-evaluation-form]");
        await form.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await page.ClickAsync("[data-testid=evaluation-kind]");
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasTextString = "Perplexity versus context length" }).ClickAsync();
        await form.GetByLabel("Windows per length").WaitForAsync();
        await page.ClickAsync("[data-testid=start-evaluation]");
        await page.Locator("[data-testid=form-error]").WaitForAsync();
        Assert.Contains("local checkpoint", await page.Locator("[data-testid=form-error]").InnerTextAsync());

        await page.ClickAsync("[data-testid=target-kind]");
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasTextString = "Local checkpoint folder" }).ClickAsync();
        await form.GetByLabel("Checkpoint folder").WaitForAsync();
        await form.GetByLabel("Checkpoint folder").FillAsync(first);
        await form.GetByLabel("Context lengths (empty: doubling from 256 to 4 x training length)").FillAsync("16, 32, 64");
        await form.GetByLabel("Windows per length").FillAsync("2");
        // Leave the field so its value reaches the circuit before the click does.
        await page.Keyboard.PressAsync("Tab");
        await page.ClickAsync("[data-testid=start-evaluation]");
        try
        {
            await page.WaitForURLAsync(url => System.Text.RegularExpressions.Regex.IsMatch(url, @"/evaluation/\d+$"));
        }
        catch (TimeoutException)
        {
            Assert.Fail("No run page opened; the form says: " + string.Join(" | ", await page.Locator("[data-testid=form-error]").AllInnerTextsAsync()));
        }
        await page.Locator("[data-testid=run-status]:has-text('Succeeded')").WaitForAsync();
        var chart = page.Locator("[data-testid=perplexity-chart]");
        await chart.Locator("circle[data-length='64']").WaitForAsync();
        Assert.Equal(3, await chart.Locator("circle").CountAsync());
        Assert.Equal("32", await chart.Locator("[data-testid=training-length-line]").GetAttributeAsync("data-length"));
        // Buckets at 64 tokens, doubling from half the shortest length: [0,8) [8,16) [16,32) [32,64).
        Assert.Equal(4, await page.Locator("[data-testid=perplexity-positions] tbody tr").CountAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task ComparePage_TwoCheckpoints_OneChartWithBothCurvesAndCsv()
    {
        var ct = TestContext.Current.CancellationToken;
        PerplexityEvaluationTests.SaveTinyCheckpoint(first, maxPositions: 32, seed: 42);
        PerplexityEvaluationTests.SaveTinyCheckpoint(second, maxPositions: 64, seed: 43);
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var settings = new PerplexitySettings { Lengths = [32, 64, 128], Windows = 1 };
        var a = await evaluations.CreatePerplexityAsync($"ppl-a-{Guid.NewGuid():N}", PerplexityEvaluationTests.Local(first), settings, ct);
        var b = await evaluations.CreatePerplexityAsync($"ppl-b-{Guid.NewGuid():N}", PerplexityEvaluationTests.Local(second), settings, ct);
        await NiahTests.WaitAsync(evaluations, a.Id, RunStatus.Succeeded, ct);
        await NiahTests.WaitAsync(evaluations, b.Id, RunStatus.Succeeded, ct);

        var page = await browser.OpenSignedInAsync(app, $"/evaluation/compare?ids={a.Id},{b.Id}");
        var chart = page.Locator("[data-testid=compare-perplexity] [data-testid=perplexity-chart]");
        await chart.WaitForAsync();
        Assert.Equal(2, await chart.Locator("polyline").CountAsync());
        Assert.Equal(6, await chart.Locator("circle").CountAsync());
        var lines = chart.Locator("[data-testid=training-length-line]");
        Assert.Equal(["32", "64"], [await lines.Nth(0).GetAttributeAsync("data-length"), await lines.Nth(1).GetAttributeAsync("data-length")]);

        var csv = await page.APIRequest.GetAsync($"/api/evaluations/perplexity.csv?ids={a.Id},{b.Id}");
        var rows = (await csv.TextAsync()).Trim().Split('\n');
        Assert.Equal(7, rows.Length);
        var stored = await evaluations.PerplexityLengthsAsync(b.Id, ct);
        Assert.Contains(rows, r => r.StartsWith($"{b.Id},") && r.Contains($",64,128,1,128,{stored[^1].MeanNll.ToString("R", System.Globalization.CultureInfo.InvariantCulture)},"));
        await page.Context.CloseAsync();
    }

    public void Dispose()
    {
        Directory.Delete(first, recursive: true);
        Directory.Delete(second, recursive: true);
    }
}

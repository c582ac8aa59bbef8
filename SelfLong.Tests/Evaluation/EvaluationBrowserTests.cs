using Microsoft.Playwright;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.Niah;
using SelfLong.Tests.Infrastructure;
using SelfLong.Data.Runs;

namespace SelfLong.Tests.Evaluation;

[NeedsBrowser]
public sealed class EvaluationBrowserTests(AppFixture app, BrowserFixture browser)
{
    [Fact]
    public async Task FinishedNiahRuns_OpenHeatmapThenCompareTwo()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var settings = new NiahSettings { Lengths = [1000, 2000, 3000], Depths = [0, 50, 100] };

        server.CompletionResponder = _ => "<script>window.hacked = 1</script> Eat a sandwich and sit in Dolores Park on a sunny day.";
        // Names as long as the demo's, which used to be cut mid-word.
        var a = await evaluations.CreateNiahAsync($"Demo NIAH: stage 3 (1024 bytes, theta 160000) good {Guid.NewGuid():N}", NiahTests.Target(server, 2000), settings, ct);
        await NiahTests.WaitAsync(evaluations, a.Id, RunStatus.Succeeded, ct);
        server.CompletionResponder = prompt => prompt.Length < 6000 ? "Eat a sandwich and sit in Dolores Park on a sunny day." : "No idea.";
        var b = await evaluations.CreateNiahAsync($"Demo NIAH: theta 160000 on stage 1, no training, worse {Guid.NewGuid():N}", NiahTests.Target(server, 3000), settings, ct);
        await NiahTests.WaitAsync(evaluations, b.Id, RunStatus.Succeeded, ct);

        var page = await browser.OpenSignedInAsync(app, $"/evaluation/{a.Id}");
        await page.SetViewportSizeAsync(1440, 900);
        var heatmap = page.Locator("[data-testid=niah-heatmap]");
        await heatmap.WaitForAsync();
        // Sized to the page: the heatmap fills its column; the whole name is in the title, inside the chart.
        var box = (await heatmap.BoundingBoxAsync())!;
        Assert.True(box.Width > 0.95 * (await page.Locator(".heatmap").BoundingBoxAsync())!.Width && box.Width > 800, $"heatmap {box.Width} px wide");
        await AssertTitlesWholeAsync(page, [a.Name]);
        Assert.Contains("Context length (tokens)", await heatmap.TextContentAsync());
        Assert.Contains("Scoring: Fu et al. 2024", await heatmap.Locator("[data-testid=heatmap-legend]").TextContentAsync());
        Assert.Contains("Expected: eat a sandwich", await heatmap.Locator("rect[data-cell='1000-0'] title").TextContentAsync());
        Assert.Equal(9, await heatmap.Locator("rect[data-cell]").CountAsync());
        Assert.Equal(3, await heatmap.Locator("rect[data-beyond=true]").CountAsync());
        Assert.Contains("mean score 1.000", await heatmap.Locator("[data-testid=heatmap-title]").TextContentAsync());
        // The convention stands beside the heatmap, in its legend (wrapped over lines), so a heatmap saved alone still says it.
        Assert.Contains("recall", await heatmap.Locator("[data-testid=heatmap-legend]").TextContentAsync());
        Assert.Equal("#0CD79F", await heatmap.Locator("rect[data-cell='1000-0']").GetAttributeAsync("fill"));
        Assert.Contains("<script>", await heatmap.Locator("rect[data-cell='1000-0'] title").TextContentAsync());
        Assert.Equal(0, await page.Locator("svg script").CountAsync());
        Assert.Equal(1, await page.Locator("[data-testid=training-length]").CountAsync());

        await page.GotoAsync($"/evaluation/compare?ids={a.Id},{b.Id}");
        await BrowserFixture.WaitForInteractiveAsync(page);
        await page.Locator("[data-testid=compare-heatmaps] [data-testid=niah-heatmap]").Nth(1).WaitForAsync();
        Assert.Equal(2, await page.Locator("[data-testid=compare-heatmaps] [data-testid=niah-heatmap]").CountAsync());
        Assert.Equal(1, await page.Locator("[data-testid=difference-heatmaps] [data-testid=niah-heatmap]").CountAsync());
        await AssertTitlesWholeAsync(page, [a.Name, b.Name]);
        // Side by side on a 1440-pixel page, each still wider than the old fixed 170 pixels by far.
        var first = (await page.Locator("[data-testid=compare-heatmaps] [data-testid=niah-heatmap]").Nth(0).BoundingBoxAsync())!;
        var second = (await page.Locator("[data-testid=compare-heatmaps] [data-testid=niah-heatmap]").Nth(1).BoundingBoxAsync())!;
        Assert.Equal(first.Y, second.Y, 1.0);
        Assert.True(first.Width > 450, $"compare heatmap {first.Width} px wide");
        // The baseline picker puts the chosen run first.
        await PickBaselineAsync(page, b);
        await Assertions.Expect(page.Locator("[data-testid=compare-heatmaps] [data-testid=heatmap-title]").First).ToContainTextAsync(b.Name);
        Assert.Contains("max length", await page.Locator("[data-testid=config-diff]").InnerTextAsync());
        Assert.DoesNotContain("sk-test-secret", await page.ContentAsync());
        Assert.True(await page.Locator("[data-testid=disagreements] tbody tr").CountAsync() >= 1);
        await page.Context.CloseAsync();
    }

    /// <summary>
    /// Opens the baseline picker and chooses <paramref name="run"/>. On a loaded two-core machine the
    /// popover can still be settling when its item is clicked, and MudBlazor drops that click; the
    /// choice is made again (three tries) rather than waiting out one lost click.
    /// </summary>
    private static async Task PickBaselineAsync(IPage page, EvaluationRun run)
    {
        for (var attempt = 1; ; attempt++)
        {
            await page.Locator("[data-testid=baseline-picker]").ClickAsync();
            var item = page.Locator(".mud-popover-open .mud-list-item", new() { HasTextString = run.Name });
            await item.WaitForAsync();
            await item.ClickAsync();
            try
            {
                await page.WaitForURLAsync($"**baseline={run.Id}**", new() { Timeout = 10_000 });
                return;
            }
            catch (TimeoutException) when (attempt < 3)
            {
                await page.Keyboard.PressAsync("Escape");
            }
        }
    }

    [Fact]
    public async Task RulerRuns_EveryAverageSaysWhatItCovers_InTableChartAndCompareView()
    {
        var ct = TestContext.Current.CancellationToken;
        var predictions = app.Services.GetRequiredService<RulerPredictions>();
        static MemoryStream Rows(params string[] tasks) => new(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", tasks.Select((t, i) =>
            $$"""{"index": {{i}}, "task": "{{t}}", "max_length": 4096, "pred": "7777777", "outputs": ["7777777"]}"""))));
        var one = await predictions.ImportAsync($"one-{Guid.NewGuid():N}", Rows("niah_single_1"), null, null, ct);
        var two = await predictions.ImportAsync($"two-{Guid.NewGuid():N}", Rows("niah_single_1", "vt"), null, null, ct);

        var page = await browser.OpenSignedInAsync(app, $"/evaluation/{one.Id}");
        await page.Locator("[data-testid=ruler-table]").WaitForAsync();
        Assert.Equal("Average (1 of 13 tasks)", (await page.Locator("[data-testid=ruler-average-label]").InnerTextAsync()).Trim());
        Assert.Contains("Averages over 1 of 13 tasks", await page.Locator("[data-testid=ruler-averages]").InnerTextAsync());
        Assert.Contains("average of 1 of 13 tasks", await page.Locator("[data-testid=ruler-chart] [data-legend='0']").TextContentAsync());

        await page.GotoAsync($"/evaluation/compare?ids={one.Id},{two.Id}");
        await BrowserFixture.WaitForInteractiveAsync(page);
        await page.Locator("[data-testid=ruler-coverage-differs]").WaitForAsync();
        var warning = await page.Locator("[data-testid=ruler-coverage-differs]").InnerTextAsync();
        Assert.Contains($"{one.Name}: 1 of 13 tasks", warning);
        Assert.Contains($"{two.Name}: 2 of 13 tasks", warning);
        var labels = await page.Locator("[data-testid=ruler-average-label]").AllInnerTextsAsync();
        Assert.Equal(["Average (1 of 13 tasks)", "Average (2 of 13 tasks)"], labels.Select(l => l.Trim()));
        Assert.Contains("average of 2 of 13 tasks", await page.Locator("[data-testid=ruler-chart] [data-legend='1']").TextContentAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task NewEvaluationForm_BadUrlShowsError_ThenValidRunOpensItsHeatmap()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        server.CompletionResponder = _ => "Eat a sandwich and sit in Dolores Park on a sunny day.";
        var name = $"form-{Guid.NewGuid():N}";
        var page = await browser.OpenSignedInAsync(app, "/evaluation");
        await page.ClickAsync("[data-testid=new-evaluation]");
        var form = page.Locator("[data-testid=new-evaluation-form]");
        await form.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await form.GetByLabel("Base URL (…/v1)").FillAsync("not a url");
        await form.GetByLabel("Model").FillAsync("test-model");
        await page.ClickAsync("[data-testid=start-evaluation]");
        await page.Locator("[data-testid=form-error]").WaitForAsync();
        Assert.Contains("not an absolute URL", await page.Locator("[data-testid=form-error]").InnerTextAsync());

        await form.GetByLabel("Base URL (…/v1)").FillAsync(server.V1);
        await form.GetByLabel("Max length (tokens)").FillAsync("2000");
        // A grid past the target's maximum would run nothing: refused here, with the reason.
        await form.GetByLabel("Context lengths (empty: 10 evenly spaced from 1k)").FillAsync("3000, 4000");
        await page.ClickAsync("[data-testid=start-evaluation]");
        await Assertions.Expect(page.Locator("[data-testid=form-error]")).ToContainTextAsync("longer than the target's maximum length of 2000 tokens");
        await form.GetByLabel("Context lengths (empty: 10 evenly spaced from 1k)").FillAsync("1000, 2000");
        await form.GetByLabel("Depths %").FillAsync("0, 100");
        await page.ClickAsync("[data-testid=start-evaluation]");
        await page.WaitForURLAsync(url => System.Text.RegularExpressions.Regex.IsMatch(url, @"/evaluation/\d+$"));
        await page.Locator("[data-testid=run-status]:has-text('Succeeded')").WaitForAsync();
        await page.Locator("[data-testid=heatmap-title]:has-text('mean score 1.000')").WaitForAsync();
        Assert.Equal(4, await page.Locator("[data-testid=niah-heatmap] rect[data-cell]").CountAsync());
        await page.Context.CloseAsync();
    }

    /// <summary>Each name is whole in some heatmap title, and every title line lies inside its chart.</summary>
    internal static async Task AssertTitlesWholeAsync(IPage page, IReadOnlyList<string> names)
    {
        var titles = page.Locator("[data-testid=heatmap-title]");
        var texts = await titles.AllTextContentsAsync();
        foreach (var name in names) Assert.Contains(texts, t => t.Contains(name, StringComparison.Ordinal));
        for (var i = 0; i < texts.Count; i++)
        {
            var chart = (await titles.Nth(i).Locator("xpath=ancestor::*[local-name()='svg'][1]").BoundingBoxAsync())!;
            foreach (var line in await titles.Nth(i).Locator("tspan").AllAsync())
            {
                var box = (await line.BoundingBoxAsync())!;
                Assert.True(box.X >= chart.X - 0.5 && box.X + box.Width <= chart.X + chart.Width + 0.5, $"title line '{await line.TextContentAsync()}' overflows its chart");
            }
        }
    }
}

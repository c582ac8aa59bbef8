using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using SelfLong.Data.Evaluation;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.Niah;
using SelfLong.Tests.Evaluation;
using SelfLong.Tests.Infrastructure;
using SelfLong.Data.Runs;

namespace SelfLong.Tests.Layout;

/// <summary>
/// Every main page and each kind of run page as a person sees it, on a laptop and on a phone: no console errors, no sideways
/// scrolling, headings and heatmap titles whole, and no serious or critical accessibility findings (axe).
/// </summary>
[NeedsBrowser]
public sealed class PageLayoutTests(AppFixture app, BrowserFixture browser)
{
    public static TheoryData<int, int> Viewports => new() { { 1440, 900 }, { 390, 844 } };

    [Theory]
    [MemberData(nameof(Viewports))]
    public async Task MainPages_AtViewport_NoErrorsNoSidewaysScrollNoSeriousAxeFindings(int width, int height)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        server.CompletionResponder = _ => "Eat a sandwich and sit in Dolores Park on a sunny day.";
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var settings = new NiahSettings { Lengths = [1000, 2000], Depths = [0, 100] };
        var a = await evaluations.CreateNiahAsync($"Demo NIAH: stage 3 (1024 bytes, theta 160000) layout {Guid.NewGuid():N}", NiahTests.Target(server, 2000), settings, ct);
        var b = await evaluations.CreateNiahAsync($"Demo NIAH: theta 160000 on stage 1, no training, layout {Guid.NewGuid():N}", NiahTests.Target(server, 2000), settings, ct);
        await NiahTests.WaitAsync(evaluations, a.Id, RunStatus.Succeeded, ct);
        await NiahTests.WaitAsync(evaluations, b.Id, RunStatus.Succeeded, ct);
        var runs = await RunPagesSeed.CreateAsync(app.Services, ct);

        var page = await browser.SignedInPageAsync(app);
        await page.SetViewportSizeAsync(width, height);
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") errors.Add($"{page.Url}: {message.Text}"); };
        page.PageError += (_, error) => errors.Add($"{page.Url}: {error}");
        var findings = new List<string>();
        foreach (var path in new[] { "/", "/corpora", "/synthesis", "/training", "/evaluation", "/job-queue", $"/evaluation/{a.Id}", $"/evaluation/compare?ids={a.Id},{b.Id}",
            $"/training/{runs.Training}", $"/synthesis/runs/{runs.Synthesis}", $"/corpora/{runs.Corpus}" })
        {
            await page.GotoAsync(path);
            await BrowserFixture.WaitForInteractiveAsync(page);
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            if (path.StartsWith("/evaluation/", StringComparison.Ordinal))
            {
                await page.Locator("[data-testid=niah-heatmap]").First.WaitForAsync();
                await EvaluationBrowserTests.AssertTitlesWholeAsync(page, path.Contains("compare") ? [a.Name, b.Name] : [a.Name]);
            }
            if (path.StartsWith("/training/", StringComparison.Ordinal))
            {
                await page.Locator("svg[data-testid=loss-chart]").WaitForAsync();
                await Assertions.Expect(page.Locator("[data-testid=checkpoints] tbody tr")).ToHaveCountAsync(3);
                await Assertions.Expect(page.Locator("h4", new() { HasTextString = runs.TrainingName })).ToBeVisibleAsync();
            }
            var sideways = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
            if (sideways > 0)
            {
                // Name the innermost elements that stick out, so the failure says what to fix.
                var wide = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && ![...e.children].some(c => c.getBoundingClientRect().right > document.documentElement.clientWidth + 1)).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))");
                Assert.Fail($"{path} at {width} px scrolls sideways by {sideways} px: {string.Join(" | ", wide)}");
            }
            var cut = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].filter(h => h.scrollWidth > h.clientWidth + 1).map(h => h.textContent)");
            Assert.True(cut.Length == 0, $"{path} at {width} px cuts headings: {string.Join(" | ", cut)}");
            var axe = await page.RunAxe();
            findings.AddRange(axe.Violations.Where(v => v.Impact is "serious" or "critical")
                .Select(v => $"{path}: {v.Id} ({v.Impact}) {v.Help} at {string.Join(", ", v.Nodes.Take(3).Select(n => n.Target?.ToString()))}"));
        }
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.True(findings.Count == 0, string.Join("\n", findings));
        await page.Context.CloseAsync();
    }
}

using System.Text;
using Microsoft.Playwright;
using SelfLong.Data.Runs;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.LengthFollowing;
using SelfLong.Jobs.Evaluation.LmEval;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Evaluation;

[NeedsBrowser]
public sealed class LengthFollowingBrowserTests(AppFixture app, BrowserFixture browser)
{
    [Fact]
    public async Task NewEvaluationForm_LengthFollowing_RunChartedWithFitDiagonalAndError()
    {
        await using var server = await OpenAiTestServer.StartAsync();
        server.CompletionResponder = LengthFollowingTests.FourFifths;
        var page = await browser.OpenSignedInAsync(app, "/evaluation");
        await page.ClickAsync("[data-testid=new-evaluation]");
        var form = page.Locator("[data-testid=new-evaluation-form]");
        await form.GetByLabel("Name", new() { Exact = true }).FillAsync($"lf-form-{Guid.NewGuid():N}");
        await page.ClickAsync("[data-testid=evaluation-kind]");
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasTextString = "Length following" }).ClickAsync();
        await form.GetByLabel("Prompts per length").WaitForAsync();
        await form.GetByLabel("Base URL (…/v1)").FillAsync(server.V1);
        await form.GetByLabel("Model", new() { Exact = true }).FillAsync("m");
        await form.GetByLabel("Required lengths in words (empty: 250 to 8000, doubling)").FillAsync("100, 200");
        await form.GetByLabel("Prompts per length").FillAsync("2");
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

        var chart = page.Locator("[data-testid=length-following-chart]");
        await chart.Locator("circle[data-required='200']").First.WaitForAsync();
        Assert.Equal(4, await chart.Locator("circle").CountAsync());
        Assert.Equal(["80", "80", "160", "160"], await chart.Locator("circle").EvaluateAllAsync<string[]>("cs => cs.map(c => c.getAttribute('data-actual'))"));
        Assert.Equal(1, await chart.Locator("[data-testid=fit-line]").CountAsync());
        Assert.Equal(1, await chart.Locator("[data-testid=ideal-line]").CountAsync());
        Assert.Contains("Mean absolute relative error 0.2 over 4 outputs", await page.Locator("[data-testid=length-following-error]").InnerTextAsync());
        Assert.Equal(2, await page.Locator("[data-testid=length-following-lengths] tbody tr").CountAsync());
        Assert.Equal(4, await page.Locator("[data-testid=length-following-outputs] tbody tr").CountAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task ComparePage_TwoCheckpoints_LengthFollowingOnOneChartAndLmEvalDeltasColoured()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        server.CompletionResponder = LengthFollowingTests.FourFifths;
        await using var exact = await OpenAiTestServer.StartAsync();
        exact.CompletionResponder = prompt => string.Join(" ", Enumerable.Repeat("word", 5 * LengthFollowingTests.FourFifths(prompt).Split(' ').Length / 4));
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var settings = new LengthFollowingSettings { RequiredWords = [100, 200], PromptsPerLength = 2 };
        var a = await evaluations.CreateLengthFollowingAsync($"lf-a-{Guid.NewGuid():N}", NiahTests.Target(server, 4096), settings, ct);
        var b = await evaluations.CreateLengthFollowingAsync($"lf-b-{Guid.NewGuid():N}", NiahTests.Target(exact, 4096), settings, ct);
        await NiahTests.WaitAsync(evaluations, a.Id, RunStatus.Succeeded, ct);
        await NiahTests.WaitAsync(evaluations, b.Id, RunStatus.Succeeded, ct);
        var import = app.Services.GetRequiredService<LmEvalImport>();
        var baseRun = await import.ImportAsync($"base-{Guid.NewGuid():N}", [("results_base.json", Utf8(LmEvalFixtures.Results("base", 0.774, 0.507, 9.5, 1)))], ct);
        var checkpoint = await import.ImportAsync($"ckpt-{Guid.NewGuid():N}", [("results_ckpt.json", Utf8(LmEvalFixtures.Results("ckpt", 0.659, 0.512, 9.1, 2)))], ct);

        var page = await browser.OpenSignedInAsync(app, $"/evaluation/compare?ids={baseRun.Id},{checkpoint.Id},{a.Id},{b.Id}");

        var chart = page.Locator("[data-testid=compare-length-following] [data-testid=length-following-chart]");
        await chart.WaitForAsync();
        Assert.Equal(8, await chart.Locator("circle").CountAsync());
        Assert.Equal(2, await chart.Locator("[data-testid=fit-line]").CountAsync());
        Assert.Equal(4, await chart.Locator("circle[data-series='1'][data-actual='100'], circle[data-series='1'][data-actual='200']").CountAsync());
        var errors = page.Locator("[data-testid=length-following-compare-table] tbody tr").Last;
        Assert.Equal(["All", "0.2", "0"], await errors.Locator("td").AllInnerTextsAsync());

        var ifeval = page.Locator("[data-testid=lm-eval-table] tr[data-task=leaderboard_ifeval][data-metric=prompt_level_strict_acc]");
        Assert.Equal("−0.1150", await ifeval.Locator("td[data-change=worse]").InnerTextAsync());
        Assert.Equal("+0.0050", await page.Locator("[data-testid=lm-eval-table] tr[data-task=leaderboard_bbh] td[data-change=better]").InnerTextAsync());
        Assert.Equal("−0.4000", await page.Locator("[data-testid=lm-eval-table] tr[data-task=wikitext] td[data-change=better]").InnerTextAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task EvaluationPage_LmEvalFilesUploaded_OpensRunWithScores()
    {
        var name = $"upload-{Guid.NewGuid():N}";
        var page = await browser.OpenSignedInAsync(app, "/evaluation");
        var panel = page.Locator("[data-testid=lm-eval-import]");
        await panel.GetByLabel("Checkpoint (run name; empty: the model the files name)").FillAsync(name);
        await page.Keyboard.PressAsync("Tab");
        await page.Locator("[data-testid=lm-eval-file]").SetInputFilesAsync(new FilePayload
        {
            Name = "results_2024-07-01.json", MimeType = "application/json", Buffer = Encoding.UTF8.GetBytes(LmEvalFixtures.Results("up/model", 0.7, 0.5, 10, 1)),
        });
        await page.WaitForURLAsync(url => System.Text.RegularExpressions.Regex.IsMatch(url, @"/evaluation/\d+$"));
        await page.Locator("[data-testid=lm-eval-table]").WaitForAsync();
        Assert.Contains(name, await page.Locator("h4").InnerTextAsync());
        Assert.Equal(6, await page.Locator("[data-testid=lm-eval-table] tbody tr").CountAsync());
        Assert.Equal("0.7000 ± 0.0180", await page.Locator("[data-testid=lm-eval-table] tr[data-task=leaderboard_ifeval][data-metric=prompt_level_strict_acc] td").Nth(2).InnerTextAsync());

        await page.GotoAsync("/evaluation");
        // A file chosen before the circuit is up is lost with the prerendered page.
        await BrowserFixture.WaitForInteractiveAsync(page);
        await page.Locator("[data-testid=lm-eval-file]").SetInputFilesAsync(new FilePayload { Name = "notes.json", MimeType = "application/json", Buffer = "{}"u8.ToArray() });
        Assert.Contains("notes.json has no \"results\" object", await page.Locator("[data-testid=lm-eval-error]").InnerTextAsync());
        await page.Context.CloseAsync();
    }

    private static MemoryStream Utf8(string text) => new(Encoding.UTF8.GetBytes(text));
}

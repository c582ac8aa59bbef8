using System.Collections.Concurrent;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using SelfLong.Data.Runs;
using SelfLong.Jobs.Evaluation;
using SelfLong.Jobs.Evaluation.Niah;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Evaluation;

[NeedsBrowser]
public sealed class NiahCellDrawerBrowserTests(AppFixture app, BrowserFixture browser)
{
    [Fact]
    public async Task HeatmapCell_ClickedOrChosenByKeyboard_OpensDrawerWithWhatWasSentAndAnswered()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        // Each prompt gets a numbered answer, so the drawer's response names the prompt it answered.
        var prompts = new ConcurrentDictionary<int, string>();
        var replies = 0;
        server.CompletionResponder = prompt =>
        {
            var n = Interlocked.Increment(ref replies);
            prompts[n] = prompt;
            return $"Eat a sandwich and sit in Dolores Park, reply {n}.";
        };
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var settings = new NiahSettings { Lengths = [1000, 2000, 3000], Depths = [0, 100] };
        var run = await evaluations.CreateNiahAsync($"drawer {Guid.NewGuid():N}", NiahTests.Target(server, 2000), settings, ct);
        await NiahTests.WaitAsync(evaluations, run.Id, RunStatus.Succeeded, ct);

        var page = await browser.OpenSignedInAsync(app, $"/evaluation/{run.Id}");
        await page.SetViewportSizeAsync(1440, 900);
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        var drawer = page.Locator("[data-testid=cell-drawer] [role=dialog]");
        await page.Locator("rect[data-cell='2000-100'][role=button]").ClickAsync();
        await Assertions.Expect(drawer).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#cell-drawer-title")).ToHaveTextAsync("2,000 tokens at 100% depth");
        await Assertions.Expect(page.Locator("[data-testid=cell-expected]")).ToHaveTextAsync(NiahSettings.FuAnswer);
        var response = await page.Locator("[data-testid=cell-response]").InnerTextAsync();
        var reply = int.Parse(System.Text.RegularExpressions.Regex.Match(response, @"reply (\d+)").Groups[1].Value);
        var sent = prompts[reply];
        // The drawer's excerpts are parts of the very prompt this response answered: the needle in its
        // place, and the end with the question.
        var needle = page.Locator("[data-testid=cell-needle]");
        await Assertions.Expect(needle.Locator("mark")).ToHaveTextAsync(NiahSettings.FuNeedle);
        Assert.Contains((await needle.InnerTextAsync()).Trim('…'), sent);
        var end = (await page.Locator("[data-testid=cell-prompt-end]").InnerTextAsync()).TrimStart('…');
        Assert.Contains(NiahSettings.FuQuestion, end);
        Assert.Contains(end, sent);
        Assert.Contains("Score 0.", await page.Locator("[data-testid=cell-score]").InnerTextAsync());

        // Axe with the drawer open: a labelled dialog, no serious or critical findings.
        var axe = await page.RunAxe();
        var findings = axe.Violations.Where(v => v.Impact is "serious" or "critical").Select(v => $"{v.Id}: {v.Help}").ToList();
        Assert.True(findings.Count == 0, string.Join("\n", findings));

        // Keyboard: Escape closes and gives focus back to the cell; arrows move between cells; Enter opens.
        // The drawer takes the keyboard focus once it has opened; Escape is pressed there, as a person would.
        await Assertions.Expect(page.Locator("[data-testid=cell-drawer-close]")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(drawer).ToHaveCountAsync(0);
        // Focus comes back to the cell once the drawer has gone; the grid is read after that, not before.
        await Assertions.Expect(page.Locator("rect[data-cell='2000-100']")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("ArrowLeft");
        Assert.Equal("1000-100", await page.EvaluateAsync<string>("() => document.activeElement.dataset.cell"));
        await page.Keyboard.PressAsync("ArrowUp");
        Assert.Equal("1000-0", await page.EvaluateAsync<string>("() => document.activeElement.dataset.cell"));
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#cell-drawer-title")).ToHaveTextAsync("1,000 tokens at 0% depth");
        // Focus moved into the drawer, onto its close button.
        await Assertions.Expect(page.Locator("[data-testid=cell-drawer-close]")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(drawer).ToHaveCountAsync(0);

        // One tab stop for the whole grid, and cells beyond the target's length are not buttons.
        Assert.Equal(1, await page.Locator("[data-testid=niah-heatmap] rect[tabindex='0']").CountAsync());
        Assert.Equal(4, await page.Locator("[data-testid=niah-heatmap] rect[role=button]").CountAsync());
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task CompareView_EachRunsCell_OpensThatRunsDrawer_ByClickOrKeyboard()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await OpenAiTestServer.StartAsync();
        // Every answer is numbered, so each run's cells hold answers no other run has.
        var replies = 0;
        server.CompletionResponder = _ => $"The best thing is a sandwich, reply {Interlocked.Increment(ref replies)}.";
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var settings = new NiahSettings { Lengths = [1000, 2000], Depths = [0, 100] };
        var a = await evaluations.CreateNiahAsync($"compare drawer A {Guid.NewGuid():N}", NiahTests.Target(server, 2000), settings, ct);
        var b = await evaluations.CreateNiahAsync($"compare drawer B {Guid.NewGuid():N}", NiahTests.Target(server, 2000), settings, ct);
        await NiahTests.WaitAsync(evaluations, a.Id, RunStatus.Succeeded, ct);
        await NiahTests.WaitAsync(evaluations, b.Id, RunStatus.Succeeded, ct);
        var storedA = (await evaluations.NiahCellAsync(a.Id, 2000, 100, ct))!;
        var storedB = (await evaluations.NiahCellAsync(b.Id, 1000, 0, ct))!;
        Assert.NotEqual(storedA.Response, storedB.Response);

        var page = await browser.OpenSignedInAsync(app, $"/evaluation/compare?ids={a.Id},{b.Id}");
        await page.SetViewportSizeAsync(1440, 900);
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        var drawer = page.Locator("[data-testid=cell-drawer] [role=dialog]");

        // A click on run B's cell shows run B's stored answer and needle excerpt.
        await page.Locator($"#niah-heatmap-{b.Id} rect[data-cell='1000-0'][role=button]").ClickAsync();
        await Assertions.Expect(page.Locator("#cell-drawer-title")).ToHaveTextAsync("1,000 tokens at 0% depth");
        await Assertions.Expect(page.Locator("[data-testid=cell-response]")).ToHaveTextAsync(storedB.Response);
        await Assertions.Expect(page.Locator("[data-testid=cell-needle] mark")).ToHaveTextAsync(NiahSettings.FuNeedle);
        // The drawer takes the keyboard focus once it has opened; Escape is pressed there, as a person would.
        await Assertions.Expect(page.Locator("[data-testid=cell-drawer-close]")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(drawer).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator($"#niah-heatmap-{b.Id} rect[data-cell='1000-0']")).ToBeFocusedAsync();

        // Keyboard alone: one tab stop per heatmap; arrows then Enter open run A's cell.
        Assert.Equal(1, await page.Locator($"#niah-heatmap-{a.Id} rect[tabindex='0']").CountAsync());
        Assert.Equal(1, await page.Locator($"#niah-heatmap-{b.Id} rect[tabindex='0']").CountAsync());
        await page.Locator($"#niah-heatmap-{a.Id} rect[tabindex='0']").FocusAsync();
        Assert.Equal("1000-0", await page.EvaluateAsync<string>("() => document.activeElement.dataset.cell"));
        await page.Keyboard.PressAsync("ArrowRight");
        await page.Keyboard.PressAsync("ArrowDown");
        Assert.Equal("2000-100", await page.EvaluateAsync<string>("() => document.activeElement.dataset.cell"));
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#cell-drawer-title")).ToHaveTextAsync("2,000 tokens at 100% depth");
        await Assertions.Expect(page.Locator("[data-testid=cell-response]")).ToHaveTextAsync(storedA.Response);
        await Assertions.Expect(page.Locator("[data-testid=cell-drawer-close]")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(drawer).ToHaveCountAsync(0);
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task CompareView_DifferenceCell_OpensDrawerWithThatRunsAndTheBaselinesSamples()
    {
        var ct = TestContext.Current.CancellationToken;
        // Run B answers with the needle's answer and A and C without it, so B − A differs from zero;
        // every answer is numbered, so each run's cell holds an answer no other run has.
        var replies = 0;
        await using var finds = await OpenAiTestServer.StartAsync();
        finds.CompletionResponder = _ => $"{NiahSettings.FuAnswer}, reply {Interlocked.Increment(ref replies)}.";
        await using var misses = await OpenAiTestServer.StartAsync();
        misses.CompletionResponder = _ => $"Walk on the beach, reply {Interlocked.Increment(ref replies)}.";
        var evaluations = app.Services.GetRequiredService<EvaluationService>();
        var settings = new NiahSettings { Lengths = [1000, 2000], Depths = [0, 100] };
        var a = await evaluations.CreateNiahAsync($"difference A {Guid.NewGuid():N}", NiahTests.Target(misses, 2000), settings, ct);
        var b = await evaluations.CreateNiahAsync($"difference B {Guid.NewGuid():N}", NiahTests.Target(finds, 2000), settings, ct);
        var c = await evaluations.CreateNiahAsync($"difference C {Guid.NewGuid():N}", NiahTests.Target(misses, 2000), settings, ct);
        foreach (var run in new[] { a, b, c }) await NiahTests.WaitAsync(evaluations, run.Id, RunStatus.Succeeded, ct);
        var cellA = (await evaluations.NiahCellAsync(a.Id, 2000, 100, ct))!;
        var cellB = (await evaluations.NiahCellAsync(b.Id, 2000, 100, ct))!;
        var cellC = (await evaluations.NiahCellAsync(c.Id, 2000, 100, ct))!;
        Assert.True(cellB.Score > cellA.Score, $"B scored {cellB.Score}, A {cellA.Score}");

        var page = await browser.OpenSignedInAsync(app, $"/evaluation/compare?ids={a.Id},{b.Id},{c.Id}");
        await page.SetViewportSizeAsync(1440, 900);
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        var drawer = page.Locator("[data-testid=cell-drawer] [role=dialog]");
        var differenceB = page.Locator($"#niah-difference-{b.Id}-{a.Id}");

        // Hover names the cell, the difference and both runs' scores.
        var tip = await differenceB.Locator("rect[data-cell='2000-100'] title").TextContentAsync();
        Assert.Contains("2,000 tokens at 100% depth: difference +", tip);
        Assert.Contains($"{b.Name}: {cellB.Score:0.00}", tip);
        Assert.Contains($"{a.Name}: {cellA.Score:0.00}", tip);

        // A click on B − A's cell: B's and A's samples for that cell, and their difference.
        await differenceB.Locator("rect[data-cell='2000-100'][role=button]").ClickAsync();
        await Assertions.Expect(page.Locator("#cell-drawer-title")).ToHaveTextAsync("2,000 tokens at 100% depth");
        await Assertions.Expect(page.Locator("[data-testid=cell-difference]")).ToContainTextAsync(
            $"Difference {(cellB.Score - cellA.Score).ToString("+0.000;-0.000;0.000", System.Globalization.CultureInfo.InvariantCulture)}");
        var inB = drawer.Locator($"[data-testid=cell-run][data-run='{b.Id}']");
        var inA = drawer.Locator($"[data-testid=cell-run][data-run='{a.Id}']");
        await Assertions.Expect(inB.Locator("[data-testid=cell-response]")).ToHaveTextAsync(cellB.Response);
        await Assertions.Expect(inB.Locator("[data-testid=cell-score]")).ToContainTextAsync($"Score {cellB.Score:0.000}");
        await Assertions.Expect(inA.Locator("[data-testid=cell-response]")).ToHaveTextAsync(cellA.Response);
        await Assertions.Expect(inA.Locator("[data-testid=cell-score]")).ToContainTextAsync($"Score {cellA.Score:0.000}");
        await Assertions.Expect(inA.Locator("[data-testid=cell-run-name]")).ToContainTextAsync(a.Name);
        await Assertions.Expect(inA.Locator("[data-testid=cell-expected]")).ToHaveTextAsync(NiahSettings.FuAnswer);
        Assert.Contains(NiahSettings.FuQuestion, await inB.Locator("[data-testid=cell-prompt-end]").InnerTextAsync());
        Assert.Equal(2, await drawer.Locator("[data-testid=cell-run]").CountAsync());

        var axe = await page.RunAxe();
        var findings = axe.Violations.Where(v => v.Impact is "serious" or "critical").Select(v => $"{v.Id}: {v.Help}").ToList();
        Assert.True(findings.Count == 0, string.Join("\n", findings));
        // The drawer takes the keyboard focus once it has opened; Escape is pressed there, as a person would.
        await Assertions.Expect(page.Locator("[data-testid=cell-drawer-close]")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(drawer).ToHaveCountAsync(0);

        // C − A's cell opens C's sample beside A's, not B's.
        await page.Locator($"#niah-difference-{c.Id}-{a.Id} rect[data-cell='2000-100'][role=button]").ClickAsync();
        await Assertions.Expect(drawer.Locator($"[data-testid=cell-run][data-run='{c.Id}'] [data-testid=cell-response]")).ToHaveTextAsync(cellC.Response);
        await Assertions.Expect(drawer.Locator($"[data-testid=cell-run][data-run='{a.Id}'] [data-testid=cell-response]")).ToHaveTextAsync(cellA.Response);
        Assert.Equal(0, await drawer.Locator($"[data-testid=cell-run][data-run='{b.Id}']").CountAsync());
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }
}

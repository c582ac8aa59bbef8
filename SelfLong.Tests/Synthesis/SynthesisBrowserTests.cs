using SelfLong.Jobs.Storage;
using Microsoft.Playwright;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Synthesis;

[NeedsBrowser]
public sealed class SynthesisBrowserTests(AppFixture app, BrowserFixture browser)
{
    private static ILocator Field(IPage page, string testId) =>
        page.Locator($"[data-testid='{testId}'] input, input[data-testid='{testId}']").First;

    [Fact]
    public async Task NewRunDialog_ExtractiveRun_FinishesAndSampleInspectorWalksTheSteps()
    {
        var (_, corpusName) = await app.HandMadeAsync();
        var page = await browser.OpenSignedInAsync(app, "/synthesis");
        var name = $"browser run {Guid.NewGuid():N}"[..24];

        await page.ClickAsync("[data-testid='new-run']");
        await page.Locator(".mud-dialog").WaitForAsync();
        await page.ClickAsync("[data-testid='run-corpus']");
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasTextString = corpusName }).ClickAsync();
        await Field(page, "run-name").FillAsync(name);
        await Field(page, "run-samples").FillAsync("3");
        await Field(page, "run-samples").PressAsync("Tab");
        await Field(page, "run-long-output").FillAsync("0");
        await Field(page, "run-long-output").PressAsync("Tab");
        // A target tokenizer that is not there is refused on its field; bytes (SelfLong-Tiny's) is taken.
        await Field(page, "run-target-tokenizer").FillAsync("/no/such/model");
        await Field(page, "run-target-tokenizer").PressAsync("Tab");
        await page.ClickAsync("[data-testid='start-run']");
        await Assertions.Expect(page.Locator("[data-testid='run-error']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".mud-dialog")).ToContainTextAsync(ServerPaths.Refusal(ServerPathKind.Folder));
        await Field(page, "run-target-tokenizer").FillAsync("bytes");
        await Field(page, "run-target-tokenizer").PressAsync("Tab");
        await page.ClickAsync("[data-testid='start-run']");

        var row = page.Locator("[data-testid='run-row']", new() { HasTextString = name });
        await row.Locator("[data-testid='extractive-label']").WaitForAsync();
        await Assertions.Expect(row.Locator("[data-testid='run-status']")).ToHaveTextAsync("Succeeded", new() { Timeout = 60_000 });
        await Assertions.Expect(row.Locator("[data-testid='run-done']")).ToHaveTextAsync("3");
        // Every sample is done: nothing to resume or retry, nothing to pause or cancel.
        Assert.Equal(0, await row.Locator("[data-testid='resume-run'], [data-testid='pause-run'], [data-testid='cancel-run']").CountAsync());

        await row.Locator("[data-testid='run-link']").ClickAsync();
        await page.Locator("[data-testid='length-histogram']").WaitForAsync();
        Assert.Contains("tokenizer bytes", await page.Locator("body").InnerTextAsync());
        await page.Locator("[data-testid='sample-table'] tbody tr").First.ClickAsync();

        await page.Locator("[data-testid='sample-heading']").WaitForAsync();
        Assert.NotEmpty((await page.Locator("[data-testid='step-seed']").InnerTextAsync()).Trim());
        Assert.NotEmpty((await page.Locator("[data-testid='step-instruction']").InnerTextAsync()).Trim());
        Assert.NotEmpty((await page.Locator("[data-testid='step-response']").InnerTextAsync()).Trim());
        await page.Locator("[data-testid='extractive-label']").WaitForAsync();
        await page.ClickAsync("[data-testid='reject-sample']");
        await page.Locator("[data-testid='rejected-chip']").WaitForAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task EndpointsTab_AddEndpointWithKey_KeyIsNotShownAndTestReportsFailure()
    {
        var page = await browser.OpenSignedInAsync(app, "/synthesis");
        var name = $"ui-{Guid.NewGuid():N}"[..16];

        await page.ClickAsync(".mud-tab:has-text('Model endpoints')");
        await Field(page, "endpoint-name").FillAsync(name);
        await Field(page, "endpoint-model").FillAsync("m");
        await Field(page, "endpoint-url").FillAsync("http://127.0.0.1:9/v1");
        await Field(page, "endpoint-key").FillAsync("sk-ui-secret-77");
        await page.ClickAsync("[data-testid='endpoint-create']");

        var row = page.Locator("[data-testid='endpoint-row']", new() { HasTextString = name });
        await row.WaitForAsync();
        Assert.Contains("set (hidden)", await row.InnerTextAsync());
        Assert.DoesNotContain("sk-ui-secret-77", await page.ContentAsync());
        await row.Locator("[data-testid='test-endpoint']").ClickAsync();
        // Nothing listens on port 9: the test reports a failure, in the error colour, not "Connected".
        var result = row.Locator("[data-testid='test-result']");
        await result.WaitForAsync(new() { Timeout = 20_000 });
        await Assertions.Expect(result).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-error-text"));
        var message = await result.InnerTextAsync();
        Assert.DoesNotContain("Connected", message);
        Assert.False(string.IsNullOrWhiteSpace(message));
        await page.Context.CloseAsync();
    }
}

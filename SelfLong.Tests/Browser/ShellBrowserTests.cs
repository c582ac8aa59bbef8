using Microsoft.Playwright;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Browser;

[NeedsBrowser]
public sealed class ShellBrowserTests(AppFixture app, BrowserFixture browser)
{
    [Fact]
    public async Task AnonymousVisit_GoesToSignIn_ThenSignedInUserOpensEverySection()
    {
        var page = await browser.NewPageAsync(app);
        await page.GotoAsync("/training");
        Assert.Contains("/account/signin", page.Url);
        Assert.Contains("returnurl=%2ftraining", page.Url.ToLowerInvariant());

        await page.FillAsync("#email", AppFixture.AdminEmail);
        await page.FillAsync("#password", app.AdminPassword);
        await page.ClickAsync("#signin-submit");
        await page.WaitForURLAsync("**/training");
        await BrowserFixture.WaitForInteractiveAsync(page);

        foreach (var (link, heading) in new[]
                 {
                     ("Overview", "Overview"), ("Corpora", "Corpora"), ("Synthesis", "Synthesis"),
                     ("Training", "Training"), ("Evaluation", "Evaluation"), ("Jobs", "Jobs"),
                 })
        {
            await page.ClickAsync($".mud-nav-link:has-text('{link}')");
            await page.Locator("h4", new() { HasTextString = heading }).First.WaitForAsync();
        }
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task WrongPassword_ShowsErrorOnSignInPage()
    {
        var page = await browser.NewPageAsync(app);
        await page.GotoAsync("/account/signin");
        await page.FillAsync("#email", AppFixture.AdminEmail);
        await page.FillAsync("#password", "wrong-password-123");
        await page.ClickAsync("#signin-submit");
        await page.Locator(".signin-error").WaitForAsync();
        Assert.Contains("not correct", await page.Locator(".signin-error").InnerTextAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task HangfireDashboard_OpensOnlyWhenSignedIn()
    {
        var anonymous = await browser.NewPageAsync(app);
        await anonymous.GotoAsync("/jobs");
        Assert.Contains("/account/signin", anonymous.Url);
        await anonymous.Context.CloseAsync();

        var page = await browser.SignedInPageAsync(app);
        var response = await page.GotoAsync("/jobs");
        Assert.Equal(200, response!.Status);
        Assert.Contains("SelfLong jobs", await page.TitleAsync() + await page.ContentAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task ApiCall_Anonymous_Gets401InBrowser()
    {
        var page = await browser.NewPageAsync(app);
        var response = await page.APIRequest.GetAsync("/api/auth/me");
        Assert.Equal(401, response.Status);
        await page.Context.CloseAsync();
    }
}

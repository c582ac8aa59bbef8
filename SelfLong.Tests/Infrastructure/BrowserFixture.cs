using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(SelfLong.Tests.Infrastructure.BrowserFixture))]

namespace SelfLong.Tests.Infrastructure;

/// <summary>Debian's headless Chromium driven by Playwright (no browser download).</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? playwright;
    private IBrowser? browser;

    public IBrowser Browser
    {
        get
        {
            TestNeeds.Require(TestNeeds.Browser, "The browser (BrowserFixture)");
            return browser ?? throw new InvalidOperationException("Browser not started.");
        }
    }

    public async ValueTask InitializeAsync()
    {
        // Assembly fixtures start before any test, whichever tests run: the fast run has no Chromium.
        if (TestNeeds.FastRun) return;
        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("SELFLONG_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
    }

    /// <summary>A new page whose context is signed in through the real sign-in form.</summary>
    public async Task<IPage> SignedInPageAsync(AppFixture app, string email = AppFixture.AdminEmail)
    {
        var page = await NewPageAsync(app);
        await page.GotoAsync("/account/signin");
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", app.AdminPassword);
        await page.ClickAsync("#signin-submit");
        try
        {
            await page.WaitForURLAsync(url => !url.Contains("/account/signin"));
        }
        catch (TimeoutException)
        {
            // A sign-in that never leaves the form has said why on the page (a refusal, the rate
            // limiter's message) or shows nothing yet (a slow server): the failure carries which.
            var text = await page.Locator("body").InnerTextAsync(new() { Timeout = 5_000 });
            Assert.Fail($"Signing in as {email} did not leave {page.Url}; the page reads: {text[..Math.Min(text.Length, 500)]}");
        }
        await WaitForInteractiveAsync(page);
        return page;
    }

    /// <summary>A signed-in page opened at <paramref name="path"/>, its circuit up.</summary>
    public async Task<IPage> OpenSignedInAsync(AppFixture app, string path, string email = AppFixture.AdminEmail)
    {
        var page = await SignedInPageAsync(app, email);
        await page.GotoAsync(path);
        await WaitForInteractiveAsync(page);
        return page;
    }

    public async Task<IPage> NewPageAsync(AppFixture app)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = app.BaseAddress.ToString() });
        // The suite runs browser tests beside each other and the app on two cores: a page load there
        // has taken over 30 s, where a failure would say nothing about the page.
        context.SetDefaultTimeout(60_000);
        return await context.NewPageAsync();
    }

    /// <summary>Clicks before the Blazor circuit is up are lost; wait for it.</summary>
    public static async Task WaitForInteractiveAsync(IPage page) =>
        await page.WaitForSelectorAsync("body[data-interactive='true']");

    /// <summary>
    /// Clicks <paramref name="selector"/> and waits for the page at <paramref name="urlGlob"/>; where the
    /// form shows <paramref name="errorSelector"/> instead, fails at once with its text, so a refused
    /// form says why rather than timing out on a navigation that will not come. It waits twice the
    /// page's usual time: creating a training run from its dialog once took over 60 s on a busy
    /// two-core machine (not explained; creating a run reads the device, which
    /// loads libtorch where the process has not loaded it yet).
    /// </summary>
    public static async Task ClickAndWaitForUrlAsync(IPage page, string selector, string urlGlob, string errorSelector)
    {
        const float Timeout = 120_000;
        await page.ClickAsync(selector);
        var arrived = page.WaitForURLAsync(urlGlob, new() { Timeout = Timeout });
        var refused = page.Locator(errorSelector).WaitForAsync(new() { Timeout = Timeout });
        if (await Task.WhenAny(arrived, refused) == refused && refused.IsCompletedSuccessfully)
            Assert.Fail($"Clicking {selector} showed an error instead of {urlGlob}: {await page.Locator(errorSelector).InnerTextAsync()}");
        try
        {
            await arrived;
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Clicking {selector} did not lead to {urlGlob} in {Timeout / 1000} s. {await DescribeAsync(page)}");
        }
    }

    /// <summary>What a stuck page shows: its address, whether Blazor is reconnecting its circuit, and the open dialog's text.</summary>
    public static async Task<string> DescribeAsync(IPage page)
    {
        var reconnecting = await page.Locator("#components-reconnect-modal").IsVisibleAsync();
        var dialogs = page.Locator(".mud-dialog");
        var dialog = await dialogs.CountAsync() > 0 ? await dialogs.First.InnerTextAsync(new() { Timeout = 5_000 }) : "(none)";
        return $"The page is at {page.Url}; the circuit is {(reconnecting ? "reconnecting" : "connected")}; the dialog reads: {dialog}";
    }

    public async ValueTask DisposeAsync()
    {
        if (browser is not null) await browser.DisposeAsync();
        playwright?.Dispose();
    }
}

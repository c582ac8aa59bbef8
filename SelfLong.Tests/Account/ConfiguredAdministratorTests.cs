using Microsoft.Playwright;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Account;

/// <summary>The web process started with a configured administrator (SelfLong__Admin__*) whose password the rules refuse.</summary>
public sealed class RefusedAdministratorProcess : IAsyncLifetime
{
    public const string Email = "first@selflong.test";
    private WebProcess? web;

    public WebProcess Web => web ?? throw new InvalidOperationException("Not started.");

    public async ValueTask InitializeAsync()
    {
        if (TestNeeds.FastRun) return;
        web = await WebProcess.StartAsync(Email, "password1234");
    }

    public async ValueTask DisposeAsync()
    {
        if (web is not null) await web.DisposeAsync();
    }
}

/// <summary>
/// Why the configured administrator could not be created is said where a person looks: in the
/// console of `./selflong run` (the web process's own output) while it starts, and on the sign-in
/// page, not only "No account exists yet".
/// </summary>
[NeedsBrowser]
public sealed class ConfiguredAdministratorTests(RefusedAdministratorProcess refused, BrowserFixture browser) : IClassFixture<RefusedAdministratorProcess>
{
    [Fact]
    public async Task Console_AtStartup_SaysWhyAndHowToFix()
    {
        var process = refused.Web.Process;
        await Poll.UntilAsync(() => process.Output.Contains("Now listening on", StringComparison.Ordinal), "the web process's start-up log");

        var output = process.Output;
        var problem = output.IndexOf($"The administrator {RefusedAdministratorProcess.Email} set in SelfLong:Admin could not be created", StringComparison.Ordinal);
        Assert.True(problem >= 0, output);
        var line = output[problem..output.IndexOf('\n', problem)];
        Assert.Contains("common", line);
        Assert.Contains("Change SelfLong__Admin__Password and restart", line);
        Assert.DoesNotContain("password1234", output);
        // Said while starting, before the process reports that it serves.
        Assert.True(problem < output.IndexOf("Now listening on", StringComparison.Ordinal), output);
        Assert.Contains("fail: ", output[..problem]);
    }

    [Fact]
    public async Task SignInPage_ShowsTheReason_NotOnlyNoAccountYet()
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = refused.Web.Address.ToString() });
        var page = await context.NewPageAsync();

        await page.GotoAsync("/account/signin");

        var problem = page.Locator("[data-testid='admin-problem']");
        await Assertions.Expect(problem).ToContainTextAsync($"The administrator {RefusedAdministratorProcess.Email} set in SelfLong:Admin could not be created");
        await Assertions.Expect(problem).ToContainTextAsync("common");
        await Assertions.Expect(problem).ToContainTextAsync("SelfLong__Admin__Password");
        await Assertions.Expect(page.GetByText("No account exists yet")).ToHaveCountAsync(0);
        await context.CloseAsync();
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Account;

/// <summary>The account page's API tokens (shown once, usable, revoked) and the admins' audit log page, in a real browser.</summary>
[NeedsBrowser]
public sealed class AccountBrowserTests(AppFixture app, BrowserFixture browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ILocator Field(IPage page, string testId) =>
        page.Locator($"[data-testid='{testId}'] input, input[data-testid='{testId}']").First;

    private HttpClient Bearer(string secret)
    {
        var client = app.CreatePlainClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        return client;
    }

    [Fact]
    public async Task TokensPage_CreateShownOnceUseAndRevoke()
    {
        var page = await browser.OpenSignedInAsync(app, "/account", AppFixture.ViewerEmail);
        var name = $"ci-{Guid.NewGuid():N}"[..12];

        await Field(page, "token-name").FillAsync(name);
        await Field(page, "token-name").PressAsync("Tab");
        await page.ClickAsync("[data-testid='create-token']");
        var secret = await Field(page, "new-token").InputValueAsync();
        using var client = Bearer(secret);
        var me = await client.GetFromJsonAsync<JsonElement>("/api/auth/me", Ct);

        Assert.StartsWith("slt_", secret);
        Assert.Equal(AppFixture.ViewerEmail, me.GetProperty("email").GetString());
        await page.ReloadAsync();
        await BrowserFixture.WaitForInteractiveAsync(page);
        var row = page.Locator("[data-testid='token-row']", new() { HasTextString = name });
        await Assertions.Expect(row).ToContainTextAsync("read");
        Assert.DoesNotContain(secret, await page.ContentAsync());

        await row.Locator("[data-testid='revoke-token']").ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("revoked");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/auth/me", Ct)).StatusCode);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AuditPage_ShowsAPageActionByItsActor_Filtered()
    {
        var page = await browser.OpenSignedInAsync(app, "/admin/users");
        var email = $"au-{Guid.NewGuid():N}"[..12] + "@selflong.test";
        await Field(page, "new-user-email").FillAsync(email);
        await Field(page, "new-user-email").PressAsync("Tab");
        await Field(page, "new-user-password").FillAsync("amber lanterns drift north");
        await Field(page, "new-user-password").PressAsync("Tab");
        await page.ClickAsync("[data-testid='create-user']");
        await Assertions.Expect(page.Locator("[data-testid='user-row']", new() { HasTextString = email })).ToBeVisibleAsync();

        await page.GotoAsync("/admin/audit");
        await BrowserFixture.WaitForInteractiveAsync(page);
        await Field(page, "audit-target").FillAsync(email);
        var rows = page.Locator("[data-testid='audit-grid'] tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows.First).ToContainTextAsync(AppFixture.AdminEmail);
        await Assertions.Expect(rows.First).ToContainTextAsync("page");
        await Assertions.Expect(rows.First).ToContainTextAsync("created");
        await Assertions.Expect(rows.First).ToContainTextAsync($"{email} as Viewer");
        await page.Context.CloseAsync();
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using SelfLong.Data;
using SelfLong.Jobs.Accounts;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Account;

/// <summary>The users page for an admin (create, change role, disable, reset a password), and what a viewer does not see.</summary>
[NeedsBrowser]
public sealed class UsersBrowserTests(AppFixture app, BrowserFixture browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ILocator Field(IPage page, string testId) =>
        page.Locator($"[data-testid='{testId}'] input, input[data-testid='{testId}']").First;

    [Fact]
    public async Task UsersPage_CreateChangeRoleDisable_TakesEffect()
    {
        var page = await browser.OpenSignedInAsync(app, "/admin/users");
        var email = $"u-{Guid.NewGuid():N}"[..12] + "@selflong.test";

        await Field(page, "new-user-email").FillAsync(email);
        await Field(page, "new-user-email").PressAsync("Tab");
        await Field(page, "new-user-password").FillAsync("password123");
        await Field(page, "new-user-password").PressAsync("Tab");
        await page.ClickAsync("[data-testid='create-user']");
        await Assertions.Expect(page.Locator("[data-testid='users-message']")).ToContainTextAsync("common");

        await Field(page, "new-user-password").FillAsync("violet kettles hum softly");
        await Field(page, "new-user-password").PressAsync("Tab");
        await page.ClickAsync("[data-testid='create-user']");
        var row = page.Locator("[data-testid='user-row']", new() { HasTextString = email });
        await Assertions.Expect(row).ToContainTextAsync("active");

        await row.Locator("[data-testid='user-role']").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasTextString = Roles.Editor }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid='users-message']")).ToContainTextAsync($"{email} is now Editor");
        await row.Locator("[data-testid='toggle-disabled']").ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("disabled");

        await using var scope = app.Services.CreateAsyncScope();
        var listed = Assert.Single(await scope.ServiceProvider.GetRequiredService<UserAdministration>().ListAsync(), u => u.Email == email);
        Assert.Equal((Roles.Editor, true), (listed.Role, listed.Disabled));
        using var client = app.CreateClient();
        var signIn = await client.PostAsync("/api/auth/signin", System.Net.Http.Json.JsonContent.Create(new { email, password = "violet kettles hum softly" }), Ct);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, signIn.StatusCode);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task UsersPage_ResetPassword_NewOneSignsIn_OldOneNoLonger_Audited()
    {
        var email = $"r-{Guid.NewGuid():N}"[..12] + "@selflong.test";
        const string old = "violet kettles hum softly";
        var fresh = $"amber lanterns drift {Guid.NewGuid():N}"[..30];
        await using (var scope = app.Services.CreateAsyncScope())
            Assert.Empty(await scope.ServiceProvider.GetRequiredService<UserAdministration>().CreateAsync(email, old, Roles.Viewer));
        var page = await browser.OpenSignedInAsync(app, "/admin/users");

        var row = page.Locator("[data-testid='user-row']", new() { HasTextString = email });
        var password = row.Locator("[data-testid='user-new-password'] input, input[data-testid='user-new-password']").First;
        await password.FillAsync(fresh);
        await password.PressAsync("Tab");
        await row.Locator("[data-testid='reset-password']").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid='users-message']")).ToContainTextAsync($"{email} has a new password", new() { Timeout = 30_000 });

        using var client = app.CreateClient();
        Task<HttpResponseMessage> SignInAsync(string with) =>
            client.PostAsync("/api/auth/signin", System.Net.Http.Json.JsonContent.Create(new { email, password = with }), Ct);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await SignInAsync(old)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await SignInAsync(fresh)).StatusCode);
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(Ct);
        var reset = await db.AuditLog.SingleAsync(e => e.TargetKind == "user" && e.Detail == $"{email}: password reset", Ct);
        Assert.Equal(AppFixture.AdminEmail, reset.Actor);
        Assert.DoesNotContain(fresh, reset.Detail);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task UsersPage_Invite_LinkShownOnce_InviteeSetsPasswordAndIsSignedIn_LinkThenRefused()
    {
        var page = await browser.OpenSignedInAsync(app, "/admin/users");
        var email = $"i-{Guid.NewGuid():N}"[..12] + "@selflong.test";
        var password = $"amber lanterns drift {Guid.NewGuid():N}"[..30];

        await Field(page, "new-user-email").FillAsync(email);
        await Field(page, "new-user-email").PressAsync("Tab");
        await page.ClickAsync("[data-testid='invite-user']");
        await Assertions.Expect(page.Locator("[data-testid='users-message']")).ToContainTextAsync($"{email} is invited as {Roles.Viewer}", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByText("no mail server")).ToBeVisibleAsync();
        var link = await page.Locator("[data-testid='invite-link']").InnerTextAsync();
        var row = page.Locator("[data-testid='user-row']", new() { HasTextString = email });
        await Assertions.Expect(row).ToContainTextAsync("invited");
        // Shown once: the list as it loads afresh does not carry the link.
        await page.ReloadAsync();
        await BrowserFixture.WaitForInteractiveAsync(page);
        await Assertions.Expect(row).ToContainTextAsync("invited");
        Assert.Equal(0, await page.Locator("[data-testid='invite-link']").CountAsync());
        Assert.StartsWith(app.BaseAddress + "account/invite?token=", link);

        var invitee = await browser.NewPageAsync(app);
        await invitee.GotoAsync(link);
        await Assertions.Expect(invitee.Locator("[data-testid='invite-email']")).ToHaveTextAsync(email);
        await invitee.FillAsync("#password", password);
        await invitee.FillAsync("#confirm", password);
        await invitee.ClickAsync("#invite-submit");
        await invitee.WaitForURLAsync(url => !url.Contains("/account/invite"));
        var me = await invitee.EvaluateAsync<string>("async () => (await (await fetch('/api/auth/me')).json()).email");

        var again = await browser.NewPageAsync(app);
        await again.GotoAsync(link);

        Assert.Equal(email, me);
        await Assertions.Expect(again.Locator("[data-testid='invite-error']")).ToContainTextAsync("not valid: it was used already");
        Assert.Equal(0, await again.Locator("#password").CountAsync());
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<SelfLongDbContext>>().CreateDbContextAsync(Ct);
        var log = await db.AuditLog.Where(e => e.TargetKind == "user" && e.Detail!.StartsWith(email)).ToListAsync(Ct);
        Assert.Contains(log, e => e is { Action: SelfLong.Data.Audit.AuditTrail.Invited, Actor: AppFixture.AdminEmail });
        Assert.Contains(log, e => e.Action == SelfLong.Data.Audit.AuditTrail.InviteAccepted && e.Actor == email);
        await page.Context.CloseAsync();
        await invitee.Context.CloseAsync();
        await again.Context.CloseAsync();
    }

    [Fact]
    public async Task LastAdmin_CannotBeDisabledOrDemoted()
    {
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserAdministration>();
        var admins = (await users.ListAsync()).Where(u => u.Role == Roles.Admin && !u.Disabled).ToList();
        // The suite has one admin; a second (made here) would make neither the last.
        Assert.Single(admins);
        Assert.Equal([UserAdministration.LastAdmin], await users.SetDisabledAsync(admins[0].Id, true));
        Assert.Equal([UserAdministration.LastAdmin], await users.SetRoleAsync(admins[0].Id, Roles.Viewer));
    }

    [Fact]
    public async Task Viewer_SeesNoActionsAndNoUsersPage()
    {
        var page = await browser.OpenSignedInAsync(app, "/training", AppFixture.ViewerEmail);
        await page.GetByText("Training").First.WaitForAsync();
        Assert.Equal(0, await page.Locator("[data-testid=new-training-run]").CountAsync());
        Assert.Equal(0, await page.Locator("a[href='/admin/users']").CountAsync());
        await page.GotoAsync("/admin/users");
        await Assertions.Expect(page.Locator("[data-testid='access-denied']")).ToContainTextAsync(AppFixture.ViewerEmail);
        Assert.Contains("/account/denied", page.Url);
        // Reached from within the app (no page load), the router says the same.
        await page.GotoAsync("/training");
        await BrowserFixture.WaitForInteractiveAsync(page);
        await page.EvaluateAsync("Blazor.navigateTo('/admin/audit')");
        await Assertions.Expect(page.Locator("[data-testid='access-denied']")).ToBeVisibleAsync();
        Assert.DoesNotContain("/account/signin", page.Url);
        await page.Context.CloseAsync();
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using SelfLong.Tests.Infrastructure;

namespace SelfLong.Tests.Account;

/// <summary>
/// The interactive API page (/api-reference) over the OpenAPI document: both need sign-in, the
/// dashboard links to it, it lists the app's routes in Chromium, and it loads nothing from elsewhere
/// (its script ships with the app; fonts, telemetry and the chat are off).
/// </summary>
[NeedsBrowser]
public sealed class ApiReferenceBrowserTests(AppFixture app, BrowserFixture browser)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SignedOut_PageRedirectsToSignIn_DocumentAnswers401()
    {
        using var anonymous = app.CreatePlainClient();

        var page = await anonymous.GetAsync("/api-reference/", Ct);
        var document = await anonymous.GetAsync("/api/openapi/v1.json", Ct);

        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Contains("/account/signin", page.Headers.Location!.ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, document.StatusCode);
    }

    [Fact]
    public async Task Document_DeclaresTokenAndCookie_EitherIsEnough()
    {
        using var viewer = await app.CreateSignedInClientAsync(AppFixture.ViewerEmail);
        var document = await viewer.GetFromJsonAsync<JsonElement>("/api/openapi/v1.json", Ct);

        var schemes = document.GetProperty("components").GetProperty("securitySchemes");
        var bearer = schemes.GetProperty("Bearer");
        var cookie = schemes.GetProperty("Cookie");
        Assert.Equal(("http", "bearer"), (bearer.GetProperty("type").GetString(), bearer.GetProperty("scheme").GetString()));
        Assert.Equal(("apiKey", "cookie", "selflong.auth"),
            (cookie.GetProperty("type").GetString(), cookie.GetProperty("in").GetString(), cookie.GetProperty("name").GetString()));
        Assert.Contains("/api/auth/antiforgery", cookie.GetProperty("description").GetString());
        // Two requirements, one scheme each: a token or a cookie, not both at once.
        Assert.Equal([["Bearer"], ["Cookie"]], document.GetProperty("security").EnumerateArray()
            .Select(r => r.EnumerateObject().Select(p => p.Name).ToArray()).ToArray());
    }

    [Fact]
    public async Task SignedIn_FromTheNavigation_PageListsTheApiFromThisServerOnly()
    {
        var page = await browser.OpenSignedInAsync(app, "/", AppFixture.ViewerEmail);
        var elsewhere = new List<string>();
        var errors = new List<string>();
        page.Request += (_, request) =>
        {
            if (request.Url.StartsWith("http", StringComparison.Ordinal) && !request.Url.StartsWith(app.BaseAddress.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal))
                elsewhere.Add(request.Url);
        };
        page.PageError += (_, error) => errors.Add(error);

        await page.ClickAsync(".mud-nav-link:has-text('API')");
        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/api-reference/?$"));

        // A known route, by its path as the document names it, under its group in the sidebar.
        var sidebar = page.GetByRole(AriaRole.Complementary);
        var group = sidebar.GetByRole(AriaRole.Link, new() { Name = "Training", Exact = true });
        await Assertions.Expect(group).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await group.ClickAsync();
        await Assertions.Expect(sidebar.GetByRole(AriaRole.Link, new() { Name = "/api/training/runs HTTP Method: GET" })).ToBeVisibleAsync();
        // No toolbar whose buttons hand the document to a hosted service.
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Share" })).ToHaveCountAsync(0);
        await Assertions.Expect(page).ToHaveTitleAsync(new System.Text.RegularExpressions.Regex("SelfLong API"));
        Assert.True(elsewhere.Count == 0, "Requests off this server: " + string.Join(", ", elsewhere));
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }
}
